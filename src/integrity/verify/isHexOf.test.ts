/**
 * isHexOf(s, b) — the allocation-free comparison of a record's previous_hash
 * with its predecessor's hash — says exactly what `s === lowercase hex of b`
 * says ('' for no hash), for any string: other case, other length, one digit off.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHexOf } from './internal/StreamChecker.ts';

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('isHexOf', () => {
  it('is true for the lowercase hex of the bytes, and for "" without bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => isHexOf(hexOf(b), b)));
    expect(isHexOf('', undefined)).toBe(true);
    expect(isHexOf('00', undefined)).toBe(false);
  });

  it('agrees with comparing against the hex string, for any string', () => {
    const strings = (b: Uint8Array): fc.Arbitrary<string> =>
      fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.constant(hexOf(b).toUpperCase()),
        fc.constant(hexOf(b).slice(0, -1)),
        fc.constant(`${hexOf(b)}0`),
        fc
          .nat({ max: Math.max(0, 2 * b.length - 1) })
          .chain((i) =>
            fc
              .constantFrom(...'0123456789abcdefABCDEFg ')
              .map((c) => hexOf(b).slice(0, i) + c + hexOf(b).slice(i + 1)),
          ),
      );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).chain((b) => fc.tuple(fc.constant(b), strings(b))),
        ([b, s]) => isHexOf(s, b) === (s === hexOf(b)),
      ),
      { numRuns: 2000 },
    );
  });
});
