import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuditResource, createAuditScope, type AuditRecord } from '../record/AuditRecord.ts';
import { recordArb, resourceArb, scopeArb } from '../record/testutil/arbitraries.ts';
import { encodeSingleRecord } from './internal/singleRecordEncoder.ts';
import { encodeOtlpLogsProtobufPrefixed } from './protobufCodec.ts';

describe('single-record encoder', () => {
  it('writes exactly the bytes of the general encoder, for random records', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          recordArb(),
          recordArb(resourceArb.map(createAuditResource), scopeArb.map(createAuditScope)),
        ),
        (record) => {
          const general = Buffer.from(encodeOtlpLogsProtobufPrefixed(1, [record]));
          expect(Buffer.from(encodeSingleRecord(1, record)).equals(general)).toBe(true);
          // A second call may use the cached resource/scope parts: still identical.
          expect(Buffer.from(encodeSingleRecord(1, record)).equals(general)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('handles empty and schema-only resources and scopes', () => {
    for (const resource of [createAuditResource(), createAuditResource({ schemaUrl: 'https://s/r' })]) {
      for (const scope of [
        createAuditScope(),
        createAuditScope({ schemaUrl: 'https://s/s' }),
        createAuditScope({ name: 'n' }),
      ]) {
        const r: AuditRecord = {
          resource,
          scope,
          timeUnixNano: 1n,
          observedTimeUnixNano: 0n,
          severityNumber: 0,
          severityText: '',
          body: 'x',
          attributes: [],
          droppedAttributesCount: 0,
          flags: 0,
          traceId: '',
          spanId: '',
          eventName: '',
        };
        expect(
          Buffer.from(encodeSingleRecord(1, r)).equals(Buffer.from(encodeOtlpLogsProtobufPrefixed(1, [r]))),
        ).toBe(true);
      }
    }
  });
});
