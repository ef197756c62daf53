/**
 * The projection writer writes `{"key":K,"value":{"stringValue":` (and
 * `{"key":K,"value":{"intValue":"`, then an int's digits) of a key it has
 * written before from a copy it keeps (internal/projectionWriter.ts). These
 * records hold it to the JCS reference (canonicalJsonBytes of the projection
 * object) when keys come back, across the cache's bound, for keys too long to
 * keep, keys that need escapes, and keys it must refuse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { anyValueArb, stringArb } from '../../record/testutil/arbitraries.ts';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJsonBytes } from './jcs.ts';
import { canonicalRecordBytes, recordProjection } from './projection.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const reference = (record: AuditRecord): string => hex(canonicalJsonBytes(recordProjection(record)));
const written = (record: AuditRecord): string => hex(canonicalRecordBytes(record));

function recordOf(attributes: KeyValue[]): AuditRecord {
  return createAuditRecord({ attributes, body: { values: attributes } });
}

describe('string entries of keys written before', () => {
  it('equal the JCS reference when keys come back, past the bound, long and escaped', () => {
    const keys = [
      ...Array.from({ length: 1500 }, (_, i) => `key.${i}`),
      '',
      'a"b\\c\n\u0001',
      'é😀',
      'k'.repeat(64),
      'k'.repeat(65),
      `${'q'.repeat(80)}"`,
    ];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[(i * 7 + round) % keys.length] as string;
        // The same key with a string value, an int (small, negative, past int32), another kind, a string again.
        const record = recordOf([
          { key, value: `v${i}` },
          { key, value: BigInt(i) },
          { key, value: BigInt(-i) },
          { key, value: 2n ** 31n - 2n + BigInt(i % 4) },
          { key, value: i % 2 === 0 },
          { key, value: 'w"\\' },
          { key: 'service.name', value: key },
        ]);
        expect(written(record), key).toBe(reference(record));
      }
    }
  });

  it('equal the JCS reference over runs of records with keys from a small pool', () => {
    const keyArb = fc.oneof(stringArb, fc.constantFrom('user.id', 'action', 'a', 'é', 'x'.repeat(70)));
    const entries = fc.array(fc.record({ key: keyArb, value: fc.oneof(stringArb, anyValueArb) }), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.array(entries, { minLength: 1, maxLength: 8 }), (runs) => {
        for (const attributes of runs) {
          const record = recordOf(attributes);
          let want: string;
          try {
            want = reference(record);
          } catch {
            expect(() => written(record)).toThrow(CanonicalEncodingError);
            continue;
          }
          expect(written(record)).toBe(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never keeps a key it refuses: each record with it fails with the entry’s path', () => {
    for (let i = 0; i < 3; i++) {
      const record = createAuditRecord({
        attributes: [
          { key: 'ok', value: 'v' },
          { key: 'bad\ud800', value: 'v' },
        ],
      });
      try {
        written(record);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CanonicalEncodingError);
        expect(`${(error as CanonicalEncodingError).problem} ${(error as CanonicalEncodingError).path}`).toBe(
          'lone-surrogate attributes[1].key',
        );
      }
    }
  });
});
