/**
 * `encodeRecordsWithRoom` (the audit_wal exporter's writer: one call per
 * batch, resource / scope parts checked once per run) writes exactly what
 * `encodeRecord` writes for each record, refuses exactly the records
 * `validateRecord` refuses, and never writes a resource or scope stale when a
 * record's accessor changes one in the middle of the batch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../record/AnyValue.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
  type AuditResource,
  type AuditScope,
} from '../../record/AuditRecord.ts';
import { recordArb, resourceArb, scopeArb } from '../../record/testutil/arbitraries.ts';
import { validateRecord } from '../../record/validateRecord.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { encodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { EncodeRefusal, encodeRecordsWithRoom, type FramedResult } from './encodeFramedBatch.ts';

/** The oracle: the version byte, then the general protobufjs-based encoder. */
function oracle(record: AuditRecord): Buffer {
  return Buffer.concat([Buffer.of(1), encodeOtlpLogsProtobuf([record])]);
}

function payloadOf(result: FramedResult | undefined, head: number, tail: number): Buffer {
  if (!(result instanceof Buffer)) throw new Error(`expected a frame, got ${String(result)}`);
  return result.subarray(head, result.length - tail);
}

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A pool of up to 3 resources and 3 scopes that records pick from (shared objects, as a decoder gives). */
const sharedBatchArb: fc.Arbitrary<AuditRecord[]> = fc
  .record({
    resources: fc.array(resourceArb.map(createAuditResource), { minLength: 1, maxLength: 3 }),
    scopes: fc.array(scopeArb.map(createAuditScope), { minLength: 1, maxLength: 3 }),
    picks: fc.array(
      fc.tuple(fc.nat(2), fc.nat(2), recordArb(), fc.constantFrom('ok', 'ok', 'ok', 'badSpan', 'badBody')),
      { minLength: 1, maxLength: 12 },
    ),
    bodyUnits: fc.constantFrom(0, 100, 20_000),
  })
  .map(({ resources, scopes, picks, bodyUnits }) =>
    picks.map(([ri, si, record, how], i) => {
      const r: AuditRecord = {
        ...record,
        resource: resources[ri % resources.length] as AuditResource,
        scope: scopes[si % scopes.length] as AuditScope,
      };
      if (i === 0 && bodyUnits > 0) r.body = 'b'.repeat(bodyUnits); // 2-byte and 3-byte lengths
      if (how === 'badSpan') r.spanId = 'Z';
      if (how === 'badBody') r.body = 'a\ud800b';
      return r;
    }),
  );

describe('encodeRecordsWithRoom', () => {
  it("gives each record encodeRecord's payload between the room, refuses as validateRecord does, results adjacent", () => {
    fc.assert(
      fc.property(
        sharedBatchArb,
        fc.constantFrom(0, 3, 24),
        fc.constantFrom(0, 2, 4),
        (records, head, tail) => {
          const results = encodeRecordsWithRoom(1, records, head, tail);
          expect(results).toHaveLength(records.length);
          let previous: Buffer | undefined;
          records.forEach((r, i) => {
            const result = results[i];
            const invalid = errorOf(() => validateRecord(r));
            if (invalid !== undefined) {
              expect(result).toBeInstanceOf(EncodeRefusal);
              expect((result as EncodeRefusal).error).toEqual(invalid);
              return;
            }
            expect(payloadOf(result, head, tail).equals(oracle(r))).toBe(true);
            const f = result as Buffer;
            // adjacent to the previous frame unless a new chunk began (only a record far over 2 KiB may start one)
            if (previous !== undefined && f.buffer === previous.buffer)
              expect(f.byteOffset).toBe(previous.byteOffset + previous.length);
            previous = f;
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('writes the framing right on both sides of the 2-byte lengths (LogRecord 127/128 B, ResourceLogs 16383/16384 B)', () => {
    const resource = createAuditResource({ attributes: [{ key: 'service.name', value: 'svc' }] });
    const scope = createAuditScope({ name: 'lib', version: '1' });
    const records: AuditRecord[] = [];
    for (const around of [128, 16384])
      for (let units = around - 60; units <= around + 10; units++)
        records.push(createAuditRecord({ resource, scope, body: 'x'.repeat(units), severityNumber: 9 }));
    const results = encodeRecordsWithRoom(1, records, 24, 4);
    records.forEach((r, i) => expect(payloadOf(results[i], 24, 4).equals(oracle(r))).toBe(true));
  });

  it('never writes a resource stale when a record changes it while the batch is written', () => {
    const entry: KeyValue = { key: 'tenant', value: 'old' };
    const resource = createAuditResource({ attributes: [entry] });
    const other = createAuditResource({ attributes: [{ key: 'tenant', value: 'other' }] });
    // record 1 replaces the shared resource's value when its body is read, as an accessor or proxy may
    const changing = createAuditRecord({ resource, body: 'b1' });
    Object.defineProperty(changing, 'body', {
      get() {
        entry.value = 'new';
        return 'b1';
      },
      enumerable: true,
    });
    const after = [
      createAuditRecord({ resource, body: 'b2' }),
      // the resource is met again after another one: it must not pass as checked
      createAuditRecord({ resource: other, body: 'b3' }),
      createAuditRecord({ resource, body: 'b4' }),
    ];
    const results = encodeRecordsWithRoom(
      1,
      [createAuditRecord({ resource, body: 'b0' }), changing, ...after],
      24,
      4,
    );
    after.forEach((r, i) => {
      const stored = payloadOf(results[i + 2], 24, 4);
      expect(stored.equals(Buffer.from(encodeRecord(r)))).toBe(true);
      expect(stored.includes(Buffer.from('new'))).toBe(r.resource === resource);
    });
  });

  it('never writes a scope stale when a record changes it in the middle of a run', () => {
    const entry: KeyValue = { key: 'k', value: 'old' };
    const scope = createAuditScope({ name: 'lib', attributes: [entry] });
    const changing = createAuditRecord({ scope });
    Object.defineProperty(changing, 'eventName', {
      get() {
        entry.value = 'new';
        return 'e';
      },
      enumerable: true,
    });
    const next = createAuditRecord({ scope, body: 'x' });
    const results = encodeRecordsWithRoom(1, [changing, next], 0, 0);
    expect(payloadOf(results[1], 0, 0).equals(Buffer.from(encodeRecord(next)))).toBe(true);
    expect(payloadOf(results[1], 0, 0).includes(Buffer.from('new'))).toBe(true);
  });
});
