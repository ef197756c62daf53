/**
 * Test-only reference implementation: RFC 9162 §2.1.1 MTH, §2.1.3.1 PATH and
 * §2.1.4.1 PROOF/SUBPROOF transcribed literally as recursions over an array
 * of leaf hashes (slicing D[a:b]), with no shortcuts. Generation code is
 * checked against this; it is O(n log n) and meant for small trees only.
 */
import { emptyRootHash, hashChildren } from '../hash.ts';

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D) over leaf hashes (the leaf hashing has already been applied). */
export function referenceMth(d: readonly Uint8Array[]): Uint8Array {
  const n = d.length;
  if (n === 0) return emptyRootHash();
  if (n === 1) return d[0] as Uint8Array;
  const k = splitPoint(n);
  return hashChildren(referenceMth(d.slice(0, k)), referenceMth(d.slice(k)));
}

/** PATH(m, D). */
export function referencePath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  const n = d.length;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...referencePath(m, d.slice(0, k)), referenceMth(d.slice(k))];
  return [...referencePath(m - k, d.slice(k)), referenceMth(d.slice(0, k))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [referenceMth(d)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, d.slice(0, k), b), referenceMth(d.slice(k))];
  return [...subproof(m - k, d.slice(k), false), referenceMth(d.slice(0, k))];
}

/** PROOF(m, D) = SUBPROOF(m, D, true). */
export function referenceProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}
