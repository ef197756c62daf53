import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue } from './AnyValue.ts';
import { createAuditRecord, createAuditResource, createAuditScope } from './AuditRecord.ts';
import { recordPayloadBytesUpperBound } from './payloadBytesBound.ts';
import { recordArb } from './testutil/arbitraries.ts';
import { encodeRecord } from './walCodec.ts';

describe('recordPayloadBytesUpperBound', () => {
  it('is never below the encoded size, and within a small factor of it', () => {
    fc.assert(
      fc.property(recordArb(), (record) => {
        const bytes = encodeRecord(record).length;
        const bound = recordPayloadBytesUpperBound(record);
        expect(bound).toBeGreaterThanOrEqual(bytes);
        expect(bound).toBeLessThanOrEqual(8 * bytes + 1024);
      }),
      { numRuns: 500 },
    );
  });

  it('covers the widest cases: 3-byte and 4-byte characters, long bytes, deep nesting, every part', () => {
    const wide = '\u20ac'.repeat(5000) + '\u{1F600}'.repeat(5000);
    let nested: AnyValue = wide;
    for (let i = 0; i < 30; i++) nested = i % 2 === 0 ? [nested] : { values: [{ key: wide, value: nested }] };
    const record = createAuditRecord({
      resource: createAuditResource({ attributes: [{ key: wide, value: wide }], schemaUrl: wide }),
      scope: createAuditScope({
        name: wide,
        version: wide,
        attributes: [{ key: 'b', value: new Uint8Array(70_000) }],
      }),
      timeUnixNano: 2n ** 64n - 1n,
      observedTimeUnixNano: 2n ** 64n - 1n,
      severityNumber: -1,
      severityText: wide,
      body: nested,
      attributes: [
        { key: 'i', value: -(2n ** 63n) },
        { key: 'd', value: -1.5 },
        { key: 'e', value: null },
      ],
      droppedAttributesCount: 2 ** 32 - 1,
      flags: 2 ** 32 - 1,
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      eventName: wide,
    });
    expect(recordPayloadBytesUpperBound(record)).toBeGreaterThanOrEqual(encodeRecord(record).length);
  });
});
