import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hrTimeToNanos } from './sdkFields.ts';

/** The definition, without the per-second reuse. */
function reference(seconds: number, nanos: number): bigint {
  if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) return 0n;
  const total = BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(nanos));
  return total < 0n ? 0n : BigInt.asUintN(64, total);
}

describe('hrTimeToNanos', () => {
  it('equals the definition for any sequence of times (the reused second never leaks into another)', () => {
    const second = fc.oneof(
      fc.constantFrom(0, -0, 1, 1_764_175_000, 1_764_175_001, -1, 1e12, 2 ** 53, NaN, Infinity, 0.5, -0.5),
      fc.double({ min: -1e13, max: 1e13 }),
    );
    const nano = fc.oneof(
      fc.constantFrom(0, 999_999_999, 1e9, -1, NaN, 0.9),
      fc.integer({ min: -1e9, max: 2e9 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(second, nano), { minLength: 1, maxLength: 20 }), (times) => {
        for (const [s, n] of times) expect(hrTimeToNanos([s, n])).toBe(reference(s, n));
      }),
      { numRuns: 500 },
    );
    expect(hrTimeToNanos(undefined)).toBe(0n);
  });
});
