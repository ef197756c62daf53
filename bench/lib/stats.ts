/**
 * Small statistics helpers for the benchmarks.
 */

/** Nearest-rank percentile (p in [0, 100]) of the first `n` values of `values`; sorts a copy. */
export function percentile(values: Float64Array, n: number, p: number): number {
  if (n === 0) return Number.NaN;
  const sorted = values.slice(0, n).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1] as number;
}

/** Rounds to `digits` decimals (for readable JSON). */
export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Milliseconds elapsed since `start` (a `process.hrtime.bigint()` value). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
