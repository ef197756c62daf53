/**
 * Adversarial cases of the wire bytes reuse (src/record/recordWire.ts,
 * writeWireLogRecord.ts): whatever happens to a record or to the bytes it was
 * decoded from, `encodeRecordWithRoom` (which may copy them) writes what
 * `encodeRecord` (which never does) writes for the record as it is now, and
 * the stored payload decodes back to that record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stampClient } from '../../../receivers/otlp/clientAttributes.ts';
import type { RecordProcessor } from '../../pipeline/RecordProcessor.ts';
import { processRecords } from '../../pipeline/runRecordProcessors.ts';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { resolveDecodeLimits } from '../../record/DecodeLimits.ts';
import { validWireOf } from '../../record/recordWire.ts';
import { anyValueArb, keyArb, recordArb } from '../../record/testutil/arbitraries.ts';
import { decodeRecord, encodeRecord, encodeRecordWithRoom } from '../../record/walCodec.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { EncodeBuffer, varintBytes } from './encodeBuffer.ts';

const LIMITS = resolveDecodeLimits({
  recordCountMax: 10_000,
  attributeCountMax: 10_000,
  stringBytesMax: 1 << 22,
  bytesLengthMax: 1 << 22,
  elementCountMax: 1_000_000,
});

const decodeKeeping = (bytes: Uint8Array): AuditRecord[] =>
  decodeOtlpLogsProtobuf(bytes, { limits: LIMITS, keepWireBytes: true });

function payloadWithRoom(record: AuditRecord): Buffer {
  const framed = encodeRecordWithRoom(record, 5, 4);
  return Buffer.from(framed.subarray(5, framed.length - 4));
}

/** Same bytes as the encoder, and they decode back to the record. */
function expectStoredAsRecord(record: AuditRecord): void {
  const stored = payloadWithRoom(record);
  expect(stored.equals(Buffer.from(encodeRecord(record)))).toBe(true);
  expect(decodeRecord(stored)).toEqual(record);
}

function record(i: number, init: Partial<AuditRecord> = {}): AuditRecord {
  return createAuditRecord({
    timeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
    severityNumber: 9,
    severityText: 'INFO',
    body: { values: [{ key: 'msg', value: `m${i}` }] },
    attributes: [
      { key: 'user.id', value: `u-${i}` },
      { key: 'amount', value: BigInt(i) },
    ],
    ...init,
  });
}

describe('public decoding keeps no wire bytes unless asked', () => {
  it('decodeOtlpLogsProtobuf(bytes) with default options: no wire bytes, a later change of the input is not stored', () => {
    const input = Buffer.from(encodeOtlpLogsProtobuf([record(1)]));
    const [d] = decodeOtlpLogsProtobuf(input) as [AuditRecord];
    expect(validWireOf(d)).toBeUndefined();
    const before = Buffer.from(encodeRecord(d));
    // a caller reusing its read buffer for the next message
    input.fill(0x41);
    expectStoredAsRecord(d);
    expect(payloadWithRoom(d).equals(before)).toBe(true);
  });

  it('keepWireBytes: true keeps them (the receivers ask for them)', () => {
    const [d] = decodeKeeping(encodeOtlpLogsProtobuf([record(1)])) as [AuditRecord];
    expect(validWireOf(d)).toBeDefined();
    expectStoredAsRecord(d);
  });
});

describe('wire bytes reuse: buffers, framing and splices', () => {
  it('input as a Uint8Array view at an offset of a larger buffer, several ResourceLogs and ScopeLogs', () => {
    const resources = [
      { attributes: [{ key: 'service.name', value: 'a' }], droppedAttributesCount: 0, schemaUrl: 'r1' },
      { attributes: [], droppedAttributesCount: 3, schemaUrl: '' },
    ];
    const scopes = [
      { name: 's1', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      {
        name: 's2',
        version: '',
        attributes: [{ key: 'k', value: 1n }],
        droppedAttributesCount: 0,
        schemaUrl: 'x',
      },
    ];
    const records: AuditRecord[] = [];
    for (let i = 0; i < 12; i++)
      records.push(
        record(i, {
          resource: resources[i % 2] as AuditRecord['resource'],
          scope: scopes[(i >> 1) % 2] as AuditRecord['scope'],
        }),
      );
    const wire = encodeOtlpLogsProtobuf(records);
    const backing = new Uint8Array(wire.length + 37);
    backing.fill(0xff);
    backing.set(wire, 13);
    const view = backing.subarray(13, 13 + wire.length);
    const decoded = decodeKeeping(view);
    expect(decoded).toHaveLength(12);
    stampClient(decoded, { protocol: 'otlp/grpc', address: '10.0.0.1', authenticatedAs: 'cn=x' });
    for (const d of decoded) {
      expect(validWireOf(d)).toBeDefined();
      expectStoredAsRecord(d);
    }
  });

  it('LogRecord lengths across the varint size boundaries (127/128, 16383/16384, 2097151/2097152) with and without the stamp', () => {
    const client = { protocol: 'otlp/http+protobuf', address: '127.0.0.1' };
    // the bytes the stamp adds to a LogRecord (tiny records: no framing length changes size)
    const tiny = createAuditRecord();
    const stampedTiny = createAuditRecord();
    stampClient([stampedTiny], client);
    const stampBytes = encodeRecord(stampedTiny).length - encodeRecord(tiny).length;
    expect(stampBytes).toBeGreaterThan(20);
    const sized = (n: number): AuditRecord =>
      createAuditRecord({ severityNumber: 9, body: 'x'.repeat(n), attributes: [{ key: 'k', value: 1n }] });
    const logRecordLength = (n: number): number => {
      const [d] = decodeKeeping(encodeOtlpLogsProtobuf([sized(n)])) as [AuditRecord];
      const wire = validWireOf(d) as NonNullable<ReturnType<typeof validWireOf>>;
      return wire.end - wire.start;
    };
    for (const boundary of [128, 16_384, 2_097_152]) {
      for (const stamp of [false, true]) {
        const added = stamp ? stampBytes : 0;
        const guess = Math.max(0, boundary - added - logRecordLength(0));
        let n = Math.max(0, guess - (logRecordLength(guess) + added - boundary) - 4);
        const lengths = new Set<number>();
        for (let tries = 0; tries < 24; tries++, n++) {
          const [d] = decodeKeeping(encodeOtlpLogsProtobuf([sized(n)])) as [AuditRecord];
          const wire = validWireOf(d) as NonNullable<ReturnType<typeof validWireOf>>;
          lengths.add(wire.end - wire.start + added);
          if (stamp) stampClient([d], client);
          expect(validWireOf(d)).toBeDefined();
          expectStoredAsRecord(d);
        }
        // the stored LogRecord's length was on both sides of the boundary
        expect({ boundary, stamp, covered: lengths.has(boundary - 1) && lengths.has(boundary) }).toEqual({
          boundary,
          stamp,
          covered: true,
        });
      }
    }
    expect(varintBytes(16_383)).toBe(2);
    expect(varintBytes(16_384)).toBe(3);
  });

  it('extreme scalar values: negative severity, dropped count and flags with the high bit set, int64 extremes, -0, NaN', () => {
    const values: AnyValue[] = [
      -(2n ** 63n),
      2n ** 63n - 1n,
      -1n,
      0n,
      -0,
      Number.NaN,
      Number.MIN_VALUE,
      '',
      new Uint8Array(0),
      [],
      { values: [] },
      null,
      true,
      false,
    ];
    const records = [
      record(1, { severityNumber: -1, droppedAttributesCount: 2 ** 31 + 5, flags: 0xffff_ffff }),
      record(2, { severityNumber: -(2 ** 31), droppedAttributesCount: 2 ** 32 - 1 }),
      record(3, {
        severityNumber: 2 ** 31 - 1,
        attributes: values.map((value, i): KeyValue => ({ key: `k${i}`, value })),
        body: values,
      }),
    ];
    const decoded = decodeKeeping(encodeOtlpLogsProtobuf(records));
    stampClient(decoded, { protocol: 'otlp/grpc', address: '::1' });
    for (const d of decoded) {
      expect(validWireOf(d)).toBeDefined();
      expectStoredAsRecord(d);
    }
  });

  it('the request buffer is a pooled slice (small body): allocations after decoding do not reach the records', () => {
    const body = Buffer.concat([Buffer.from(encodeOtlpLogsProtobuf([record(7)]))]);
    expect(body.length).toBeLessThan(Buffer.poolSize >>> 1);
    const [d] = decodeKeeping(body) as [AuditRecord];
    const expected = Buffer.from(encodeRecord(d));
    for (let i = 0; i < 4096; i++) Buffer.allocUnsafe(1 + (i % 300)).fill(0xee);
    expect(payloadWithRoom(d).equals(expected)).toBe(true);
  });

  it('an input buffer detached (transferred) or shrunk after decoding: encoded from the record, never a short copy', () => {
    const wire = encodeOtlpLogsProtobuf([record(1), record(2)]);
    // detached: e.g. transferred to a worker with postMessage
    const detachable = new ArrayBuffer(wire.length);
    new Uint8Array(detachable).set(wire);
    const fromDetached = decodeKeeping(new Uint8Array(detachable));
    stampClient(fromDetached, { protocol: 'otlp/grpc', address: '::1' });
    detachable.transfer();
    expect(detachable.detached).toBe(true);
    // shrunk: a resizable buffer reused for a shorter message
    const resizable = new ArrayBuffer(wire.length, { maxByteLength: 2 * wire.length });
    new Uint8Array(resizable).set(wire);
    const fromResizable = decodeKeeping(new Uint8Array(resizable, 0, wire.length));
    resizable.resize(8);
    for (const d of [...fromResizable, ...fromDetached]) {
      expect(validWireOf(d)).toBeUndefined();
      expectStoredAsRecord(d);
    }
  });

  it('EncodeBuffer.copyFrom copies exactly the range asked, never fewer bytes nor bytes past the view', () => {
    const w = new EncodeBuffer();
    w.begin();
    // a view of Node's shared pool: the bytes past its end belong to other Buffers
    const source = Buffer.from('abcdef');
    w.copyFrom(source, 1, 4);
    w.copyFrom(source, 6, 6);
    expect(w.buf.subarray(w.base, w.pos).toString()).toBe('bcd');
    expect(() => w.copyFrom(source, 2, 9)).toThrow(/wire bytes \[2, 9\) outside a source of 6/);
    expect(() => w.copyFrom(source, -1, 3)).toThrow(/assertion failed/);
    expect(() => w.copyFrom(source, 4, 2)).toThrow(/assertion failed/);
    expect(w.buf.subarray(w.base, w.pos).toString()).toBe('bcd');
  });
});

type Op =
  | { kind: 'stamp'; address: string }
  | { kind: 'set' | 'delete'; key: string; value: AnyValue; preserving: boolean }
  | { kind: 'body'; value: AnyValue; preserving: boolean }
  | { kind: 'severity'; text: string; preserving: boolean }
  | { kind: 'keep'; preserving: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('stamp' as const),
    address: fc.constantFrom('127.0.0.1', '::1', 'x'.repeat(130)),
  }),
  fc.record({
    kind: fc.constantFrom('set' as const, 'delete' as const),
    key: fc.oneof(keyArb, fc.constantFrom('audit.client.address', 'user.id')),
    value: anyValueArb,
    preserving: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('body' as const), value: anyValueArb, preserving: fc.boolean() }),
  fc.record({ kind: fc.constant('severity' as const), text: fc.string(), preserving: fc.boolean() }),
  fc.record({ kind: fc.constant('keep' as const), preserving: fc.constant(true) }),
);

describe('wire bytes reuse: random sequences of what a receiver and a pipeline do to a record', () => {
  it('the client stamp and processors in any order: stored as encodeRecord stores the record as it is then', () => {
    let withWire = 0;
    fc.assert(
      fc.property(
        fc.array(recordArb(), { minLength: 1, maxLength: 3 }),
        fc.array(opArb, { maxLength: 6 }),
        (sent, ops) => {
          const decoded = decodeKeeping(encodeOtlpLogsProtobuf(sent));
          for (const op of ops) {
            if (op.kind === 'stamp') {
              stampClient(decoded, { protocol: 'otlp/grpc', address: op.address });
              continue;
            }
            // a processor that changes (or, declaring preservesContent, only looks at) each record
            const processor: RecordProcessor = {
              mutates: op.kind !== 'keep',
              ...(op.preserving && op.kind === 'keep' ? { preservesContent: true } : {}),
              process(view) {
                if (op.kind === 'set') view.setAttribute(op.key, op.value);
                else if (op.kind === 'delete') view.deleteAttribute(op.key);
                else if (op.kind === 'body') view.setBody(op.value);
                else if (op.kind === 'severity') view.severityText = op.text;
                return true;
              },
            };
            processRecords(decoded, [processor]);
          }
          for (const d of decoded) {
            if (validWireOf(d) !== undefined) withWire++;
            expectStoredAsRecord(d);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(withWire).toBeGreaterThan(100); // the wire path was taken, after stamps and preserving processors
  });
});
