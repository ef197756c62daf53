/**
 * Integer helpers for tree sizes and indexes. Sizes and indexes are JavaScript
 * numbers restricted to safe integers (< 2^53), so all arithmetic here uses
 * division and remainder, never the 32-bit bitwise operators.
 */

/** True for a safe integer >= 0. */
export function isIndex(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

export function isOdd(x: number): boolean {
  return x % 2 === 1;
}

/** x >> 1 for safe integers >= 0. */
export function half(x: number): number {
  return Math.floor(x / 2);
}

/** True when n is 2^j for some j >= 0. */
export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let x = n;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/** RFC 9162 §2.1.1 split point: the largest power of two strictly smaller than n (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The largest power of two <= n (n >= 1). */
export function largestPowerOfTwoAtMost(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

/** log2 of a power of two. */
export function log2Exact(powerOfTwo: number): number {
  let level = 0;
  for (let x = powerOfTwo; x > 1; x /= 2) level++;
  return level;
}

/** Number of set bits of n (safe integer >= 0). */
export function popCount(n: number): number {
  let count = 0;
  for (let x = n; x > 0; x = half(x)) {
    if (isOdd(x)) count++;
  }
  return count;
}
