/**
 * Long strings in the projection: printable ASCII with nothing to escape is
 * copied by Buffer's native Latin-1 writer (internal/Utf8JsonWriter.ts,
 * from NATIVE_COPY_UNITS_MIN units); everything else by the loop. JCS
 * (jcs.ts) is the reference for both, at every length around the threshold
 * and with the one character that must take the slow path anywhere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import type { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJsonBytes } from './jcs.ts';
import { canonicalRecordBytes, recordProjection } from './projection.ts';
import { toHex } from './testutil/vectors.ts';

function outcome(fn: () => Uint8Array): string {
  try {
    return toHex(fn());
  } catch (error) {
    return `error ${(error as CanonicalEncodingError).code}`;
  }
}

const record = (s: string): AuditRecord => ({
  ...createAuditRecord(),
  body: s,
  eventName: s,
  attributes: [{ key: s, value: s }],
});

function expectReference(s: string): void {
  const r = record(s);
  expect(
    outcome(() => canonicalRecordBytes(r)),
    JSON.stringify(s),
  ).toBe(outcome(() => canonicalJsonBytes(recordProjection(r))));
}

describe('projection of long strings', () => {
  it('printable ASCII of every length 0..200, and each with one character that needs the slow path', () => {
    const specials = [
      '"',
      '\\',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u0080',
      'é',
      '\u2028',
      '\ud83d\ude00',
      '\ud800',
    ];
    for (let n = 0; n <= 200; n++) {
      const plain = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7) % 95))).join('');
      expectReference(plain);
      for (const c of specials) {
        expectReference(plain + c);
        expectReference(c + plain);
        expectReference(plain.slice(0, n >> 1) + c + plain.slice(n >> 1));
      }
    }
  });

  it('arbitrary long strings mostly of printable ASCII', () => {
    const unit = fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '"',
          '\\',
          '\n',
          '\u0000',
          '\u007f',
          'é',
          '\u2028',
          '\ud800',
          '\udfff',
          '\ud83d\ude00',
        ),
      },
    );
    fc.assert(
      fc.property(fc.string({ unit, minLength: 20, maxLength: 300 }), (s) => expectReference(s)),
      { numRuns: 2000 },
    );
  });
});
