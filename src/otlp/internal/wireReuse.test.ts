/**
 * The WAL payload writer reusing a record's wire bytes (src/record/recordWire.ts,
 * writeWireLogRecord.ts) writes exactly what the encoder writes, always:
 * `encodeRecordWithRoom` (which takes the wire path) is compared byte for byte
 * with `encodeRecord` (which never does) on canonical input (the wire path must
 * be taken), on legal non-canonical re-encodings of it (it must not), on random
 * wire bytes, after the receiver's client stamp, and after processors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stampClient } from '../../../receivers/otlp/clientAttributes.ts';
import { FanOutConsumer } from '../../pipeline/PipelineConsumer.ts';
import type { LogBatch } from '../../pipeline/consumer.ts';
import type { RecordProcessor } from '../../pipeline/RecordProcessor.ts';
import { processRecords } from '../../pipeline/runRecordProcessors.ts';
import type { AnyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { resolveDecodeLimits } from '../../record/DecodeLimits.ts';
import { validWireOf } from '../../record/recordWire.ts';
import { batchArb, recordArb } from '../../record/testutil/arbitraries.ts';
import { encodeRecord, encodeRecordWithRoom } from '../../record/walCodec.ts';
import { ATTR_CLIENT_IDENTITY } from '../../semconv.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { encodeRecordsWithRoom } from './encodeFramedBatch.ts';
import { concat, len, tag } from '../testutil/wire.ts';
import { requestWireArb } from '../testutil/wireArbitraries.ts';
import {
  PERTURBATIONS,
  PERTURBATION_NAMES,
  messagesOf,
  parseMessage,
  writeMessage,
} from '../testutil/wirePerturb.ts';

const LIMITS = resolveDecodeLimits({
  recordCountMax: 1000,
  attributeCountMax: 1000,
  arrayLengthMax: 1000,
  stringBytesMax: 1 << 20,
  bytesLengthMax: 1 << 20,
  elementCountMax: 100_000,
});

/** As the receivers decode (keepWireBytes: true; the default keeps none). */
const decode = (bytes: Uint8Array): AuditRecord[] =>
  decodeOtlpLogsProtobuf(bytes, { limits: LIMITS, keepWireBytes: true });

/** The payload `encodeRecordWithRoom` writes, without its room (odd sizes, as a WAL frame has). */
function payloadWithRoom(record: AuditRecord): Buffer {
  const framed = encodeRecordWithRoom(record, 7, 3);
  return framed.subarray(7, framed.length - 3);
}

function expectSameAsEncoder(record: AuditRecord): void {
  expect(Buffer.from(payloadWithRoom(record)).equals(Buffer.from(encodeRecord(record)))).toBe(true);
}

/** The same for a whole request written at once, as the audit_wal exporter does (`encodeRecordsWithRoom`). */
function expectBatchSameAsEncoder(records: readonly AuditRecord[]): void {
  const framed = encodeRecordsWithRoom(1, records, 7, 3);
  records.forEach((r, i) => {
    const f = framed[i];
    expect(f).toBeInstanceOf(Buffer);
    const payload = (f as Buffer).subarray(7, (f as Buffer).length - 3);
    expect(payload.equals(Buffer.from(encodeRecord(r)))).toBe(true);
  });
}

const clientArb = fc.record(
  {
    authenticatedAs: fc.string({ unit: 'binary', maxLength: 30 }),
    address: fc.constantFrom('127.0.0.1', '::1', 'unix'),
    protocol: fc.constantFrom('otlp/grpc', 'otlp/http+protobuf'),
  },
  { requiredKeys: ['protocol'] },
);

/** One LogRecord in a LogsData whose framing (resource, scope) is the encoder's: `encodeRecord` without its prefix. */
function logsDataWith(record: AuditRecord, logRecord: Uint8Array): Uint8Array {
  const canonical = encodeRecord(record).subarray(1);
  // Resource and scope parts of the canonical LogsData, then the given LogRecord.
  const resourceLogs = parseLengthDelimited(canonical, 0);
  const scopeLogs = fieldsOf(resourceLogs).find((f) => f.fieldNumber === 2)?.content as Uint8Array;
  const keptScopeLogs = fieldsOf(scopeLogs).filter((f) => f.fieldNumber !== 2);
  const keptResourceLogs = fieldsOf(resourceLogs).filter((f) => f.fieldNumber !== 2);
  const newScopeLogs = concat(...keptScopeLogs.map((f) => f.bytes), tag(2, 2), len(logRecord));
  return concat(
    tag(1, 2),
    len(concat(...keptResourceLogs.map((f) => f.bytes), tag(2, 2), len(newScopeLogs))),
  );
}

/** The canonical LogRecord bytes inside `encodeRecord(record)`. */
function logRecordBytesOf(record: AuditRecord): Uint8Array {
  const resourceLogs = parseLengthDelimited(encodeRecord(record).subarray(1), 0);
  const scopeLogs = fieldsOf(resourceLogs).find((f) => f.fieldNumber === 2)?.content as Uint8Array;
  return fieldsOf(scopeLogs).find((f) => f.fieldNumber === 2)?.content as Uint8Array;
}

interface RawField {
  fieldNumber: number;
  /** The whole field, tag included. */
  bytes: Uint8Array;
  /** Length-delimited content. */
  content?: Uint8Array;
}

function readVarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[pos++] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, pos];
  }
}

function parseLengthDelimited(bytes: Uint8Array, pos: number): Uint8Array {
  const [, afterTag] = readVarint(bytes, pos);
  const [length, start] = readVarint(bytes, afterTag);
  return bytes.subarray(start, start + length);
}

/** The fields of a canonical message whose fields are all length-delimited (ResourceLogs, ScopeLogs). */
function fieldsOf(bytes: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [t, afterTag] = readVarint(bytes, pos);
    const [length, start] = readVarint(bytes, afterTag);
    out.push({
      fieldNumber: t >>> 3,
      bytes: bytes.subarray(pos, start + length),
      content: bytes.subarray(start, start + length),
    });
    pos = start + length;
  }
  return out;
}

describe('wire bytes reuse: the WAL payload is always what the encoder writes', () => {
  it('canonical requests (the OTLP encoder, several records): every record takes the wire path, same bytes', () => {
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 1, maxLength: 6 }), (records) => {
        const decoded = decode(encodeOtlpLogsProtobuf(records));
        expect(decoded).toHaveLength(records.length);
        for (const d of decoded) {
          expect(validWireOf(d)).toBeDefined();
          expectSameAsEncoder(d);
        }
        expectBatchSameAsEncoder(decoded);
      }),
      { numRuns: 300 },
    );
  });

  it('canonical requests whose records share resources and scopes, stamped, written as one batch: same bytes', () => {
    fc.assert(
      fc.property(batchArb, clientArb, ({ records }, client) => {
        if (records.length === 0) return;
        const decoded = decode(encodeOtlpLogsProtobuf(records));
        stampClient(decoded, client);
        expectBatchSameAsEncoder(decoded);
        // again: the parts and the stamp's bytes are now cached
        expectBatchSameAsEncoder(decoded);
      }),
      { numRuns: 300 },
    );
  });

  it('canonical records with the client stamp appended: spliced, same bytes', () => {
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 1, maxLength: 4 }), clientArb, (records, client) => {
        const decoded = decode(encodeOtlpLogsProtobuf(records));
        const owned = decoded.map((d) => d.attributes.some((kv) => kv.key.startsWith('audit.client.')));
        stampClient(decoded, client);
        decoded.forEach((d, i) => {
          // a sender's own receiver-owned attribute (not generated here) would make it fall back
          if (!owned[i]) expect(validWireOf(d)).toBeDefined();
          expectSameAsEncoder(d);
        });
        expectBatchSameAsEncoder(decoded);
      }),
      { numRuns: 200 },
    );
  });

  it('legal non-canonical re-encodings: the wire path when the bytes are canonical, same bytes either way', () => {
    let perturbed = 0;
    let canonical = 0;
    let fallBack = 0;
    fc.assert(
      fc.property(
        recordArb(),
        fc.array(
          fc.record({ name: fc.constantFrom(...PERTURBATION_NAMES), where: fc.nat(), pick: fc.nat() }),
          { minLength: 1, maxLength: 3 },
        ),
        clientArb,
        (record, changes, client) => {
          const tree = parseMessage(logRecordBytesOf(record), 'logRecord');
          for (const { name, where, pick } of changes) {
            const messages = messagesOf(tree);
            (PERTURBATIONS[name] as (typeof PERTURBATIONS)[string])(
              messages[where % messages.length] as (typeof messages)[number],
              pick,
            );
          }
          const logRecord = writeMessage(tree);
          let decoded: AuditRecord[];
          try {
            decoded = decode(logsDataWith(record, logRecord));
          } catch {
            return; // a change that made the record invalid (e.g. a trace id of length 0 is fine, 3 is not)
          }
          const d = decoded[0] as AuditRecord;
          const isCanonical = Buffer.from(logRecordBytesOf(d)).equals(Buffer.from(logRecord));
          if (isCanonical) canonical++;
          else perturbed++;
          // canonical bytes take the wire path; others may too when all that differs is LogRecord fields
          // at their default value (left out when copied): either way the bytes must be the encoder's
          if (isCanonical) expect(validWireOf(d)).toBeDefined();
          else if (validWireOf(d) === undefined) fallBack++;
          expectSameAsEncoder(d);
          stampClient([d], client);
          expectSameAsEncoder(d);
        },
      ),
      { numRuns: 1500 },
    );
    // both sides were exercised
    expect(perturbed).toBeGreaterThan(500);
    expect(fallBack).toBeGreaterThan(400);
    expect(canonical).toBeGreaterThan(50);
  });

  it('random wire bytes (every field 0-2 times, unknown fields, padded varints): same bytes', () => {
    let wire = 0;
    fc.assert(
      fc.property(requestWireArb, clientArb, (bytes, client) => {
        let decoded: AuditRecord[];
        try {
          decoded = decode(bytes);
        } catch {
          return;
        }
        for (const d of decoded) {
          if (validWireOf(d)) wire++;
          expectSameAsEncoder(d);
        }
        expectBatchSameAsEncoder(decoded);
        stampClient(decoded, client);
        for (const d of decoded) expectSameAsEncoder(d);
        expectBatchSameAsEncoder(decoded);
      }),
      { numRuns: 1500 },
    );
    expect(wire).toBeGreaterThan(0);
  });

  it('hand-picked non-canonical LogRecords fall back', () => {
    const cases: Record<string, Uint8Array> = {
      'severity -1 in 5 bytes': concat(tag(2, 0), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)),
      'severity 1 with a padded varint': concat(tag(2, 0), Uint8Array.of(0x81, 0x00)),
      'fields out of order': concat(tag(3, 2), len(Uint8Array.of(0x41)), tag(2, 0), Uint8Array.of(1)),
      'unknown field 4': concat(tag(4, 0), Uint8Array.of(1)),
      'bool 2': concat(tag(5, 2), len(concat(tag(2, 0), Uint8Array.of(2)))),
      'NaN with a payload': concat(
        tag(5, 2),
        len(concat(tag(4, 1), Uint8Array.of(1, 0, 0, 0, 0, 0, 0xf8, 0x7f))),
      ),
      'key-value without its value': concat(tag(6, 2), len(concat(tag(1, 2), len(Uint8Array.of(0x6b))))),
      'empty key written': concat(
        tag(6, 2),
        len(concat(tag(1, 2), len(new Uint8Array(0)), tag(2, 2), len(new Uint8Array(0)))),
      ),
      'attributes split by another field': concat(
        tag(6, 2),
        len(concat(tag(2, 2), len(new Uint8Array(0)))),
        tag(7, 0),
        Uint8Array.of(1),
        tag(6, 2),
        len(concat(tag(2, 2), len(new Uint8Array(0)))),
      ),
      'a length with a redundant byte': concat(tag(3, 2), Uint8Array.of(0x81, 0x00), Uint8Array.of(0x41)),
      'a two-byte tag': concat(Uint8Array.of(0x9a, 0x00), len(Uint8Array.of(0x41))),
      'dropped count with bits past 32': concat(tag(7, 0), Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x10)),
      'an int64 with a bit past the 64th': concat(
        tag(5, 2),
        len(concat(tag(3, 0), Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02))),
      ),
    };
    for (const [name, logRecord] of Object.entries(cases)) {
      const [d] = decode(concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 2), len(logRecord)))))));
      expect(d, name).toBeDefined();
      expect(validWireOf(d as AuditRecord), name).toBeUndefined();
      expectSameAsEncoder(d as AuditRecord);
    }
  });

  it('LogRecord fields at their default value (the OTel JS exporter writes dropped_attributes_count 0) are left out', () => {
    const body = concat(tag(5, 2), len(concat(tag(1, 2), len(Uint8Array.of(0x62)))));
    const attribute = concat(
      tag(6, 2),
      len(concat(tag(1, 2), len(Uint8Array.of(0x6b)), tag(2, 2), len(new Uint8Array(0)))),
    );
    const cases: Record<string, Uint8Array> = {
      'time 0': concat(tag(1, 1), new Uint8Array(8), body),
      'severity 0': concat(tag(2, 0), Uint8Array.of(0), body),
      'severity 0 in 2 bytes': concat(tag(2, 0), Uint8Array.of(0x80, 0x00), body),
      'severity text empty': concat(tag(3, 2), len(new Uint8Array(0)), body, attribute),
      'dropped count 0 (OTel JS)': concat(
        body,
        attribute,
        tag(7, 0),
        Uint8Array.of(0),
        tag(9, 2),
        len(new Uint8Array(16).fill(7)),
      ),
      'dropped count 2^32 (read as 0)': concat(
        attribute,
        tag(7, 0),
        Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10),
      ),
      'flags 0': concat(attribute, tag(8, 5), new Uint8Array(4)),
      'empty trace id': concat(tag(9, 2), len(new Uint8Array(0)), tag(10, 2), len(new Uint8Array(8).fill(1))),
      'empty span id': concat(attribute, tag(10, 2), len(new Uint8Array(0))),
      'observed time 0': concat(tag(11, 1), new Uint8Array(8), tag(12, 2), len(Uint8Array.of(0x65))),
      'event name empty': concat(attribute, tag(12, 2), len(new Uint8Array(0))),
      'all of them': concat(
        tag(1, 1),
        new Uint8Array(8),
        tag(2, 0),
        Uint8Array.of(0),
        tag(3, 2),
        len(new Uint8Array(0)),
        attribute,
        tag(7, 0),
        Uint8Array.of(0),
        tag(8, 5),
        new Uint8Array(4),
        tag(9, 2),
        len(new Uint8Array(0)),
        tag(10, 2),
        len(new Uint8Array(0)),
        tag(11, 1),
        new Uint8Array(8),
        tag(12, 2),
        len(new Uint8Array(0)),
      ),
    };
    for (const [name, logRecord] of Object.entries(cases)) {
      const [d] = decode(concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 2), len(logRecord)))))));
      expect(validWireOf(d as AuditRecord), name).toBeDefined();
      expectSameAsEncoder(d as AuditRecord);
      stampClient([d as AuditRecord], { protocol: 'otlp/grpc', address: '127.0.0.1', authenticatedAs: 'x' });
      expect(validWireOf(d as AuditRecord), name).toBeDefined();
      expectSameAsEncoder(d as AuditRecord);
    }
  });

  it('decodeRecord-style decoding (keepWireBytes: false) keeps no wire bytes', () => {
    const [r] = decodeOtlpLogsProtobuf(encodeOtlpLogsProtobuf([sampleRecord()]), { keepWireBytes: false });
    expect(validWireOf(r as AuditRecord)).toBeUndefined();
  });
});

function sampleRecord(): AuditRecord {
  return {
    resource: {
      attributes: [{ key: 'service.name', value: 'svc' }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    },
    scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    timeUnixNano: 1_700_000_000_000_000_000n,
    observedTimeUnixNano: 1_700_000_000_000_000_001n,
    severityNumber: 9,
    severityText: 'INFO',
    body: { values: [{ key: 'message', value: 'hello' }] },
    attributes: [
      { key: 'user.id', value: 'u-1' },
      { key: 'amount', value: 12n },
      { key: 'tags', value: ['a', 'b'] },
    ],
    droppedAttributesCount: 0,
    flags: 1,
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    eventName: 'audit.transfer',
  };
}

const decodedSample = (): AuditRecord => decode(encodeOtlpLogsProtobuf([sampleRecord()]))[0] as AuditRecord;

describe('wire bytes reuse: what may change a record drops them', () => {
  it('the client stamp over sender-supplied receiver-owned attributes: encoded from the record', () => {
    const sent = sampleRecord();
    sent.attributes.push({ key: ATTR_CLIENT_IDENTITY, value: 'forged' });
    const [d] = decode(encodeOtlpLogsProtobuf([sent])) as [AuditRecord];
    expect(validWireOf(d)).toBeDefined();
    stampClient([d], { protocol: 'otlp/grpc', address: '127.0.0.1', authenticatedAs: 'real' });
    expect(validWireOf(d)).toBeUndefined();
    expectSameAsEncoder(d);
    expect(Buffer.from(payloadWithRoom(d)).includes('forged')).toBe(false);
    expect(Buffer.from(payloadWithRoom(d)).includes('real')).toBe(true);
  });

  it('the client stamp appended to the decoded list: spliced after the decoded attributes', () => {
    const d = decodedSample();
    stampClient([d], { protocol: 'otlp/grpc', address: '127.0.0.1' });
    expect(validWireOf(d)).toBeDefined();
    expectSameAsEncoder(d);
    expect(d.attributes.map((kv) => kv.key)).toEqual([
      'user.id',
      'amount',
      'tags',
      'audit.client.address',
      'audit.client.protocol',
    ]);
  });

  it('appended attributes: the bytes remembered from the previous record are used only for the same strings', () => {
    const appended: { key: string; value: AnyValue }[][] = [
      [{ key: 'audit.client.address', value: '127.0.0.1' }],
      [{ key: 'audit.client.address', value: '127.0.0.2' }],
      [{ key: 'audit.client.address', value: '127.0.0.2' }],
      [{ key: 'audit.client.addresS', value: '127.0.0.2' }],
      [{ key: 'audit.client.address', value: 2n }],
      [{ key: 'audit.client.address', value: 2n }],
      [{ key: 'audit.client.address', value: ['127.0.0.2'] }],
      [
        { key: 'audit.client.address', value: '127.0.0.2' },
        { key: 'audit.client.protocol', value: 'otlp/grpc' },
      ],
      [
        { key: 'audit.client.address', value: '127.0.0.2' },
        { key: 'audit.client.protocol', value: 'otlp/grpc' },
      ],
      [{ key: 'audit.client.address', value: '127.0.0.2' }],
      [
        { key: 'audit.client.address', value: '127.0.0.2' },
        { key: 'audit.client.protocol', value: 'otlp/grpc' },
      ],
      [],
    ];
    for (const entries of appended) {
      const d = decodedSample();
      d.attributes.push(...entries);
      expect(validWireOf(d)).toBeDefined();
      expectSameAsEncoder(d);
    }
    // a value that is not a string may change between records under the same object: never remembered
    const shared: AnyValue[] = ['a'];
    for (const next of ['b', 'c']) {
      const d = decodedSample();
      d.attributes.push({ key: 'k', value: shared });
      expectSameAsEncoder(d);
      shared[0] = next;
    }
  });

  it('a change the cheap check cannot see (an entry replaced in place, a body changed inside) is caught by processRecords', () => {
    const changing: RecordProcessor = {
      mutates: true,
      process(view) {
        view.setAttribute('user.id', 'someone-else'); // replaces entry 0 of the same array: same length, same last entry
        (view.getBody() as { values: { key: string; value: unknown }[] }).values[0]!.value = 'changed inside';
        return true;
      },
    };
    const d = decodedSample();
    const { kept } = processRecords([d], [changing]);
    expect(kept).toEqual([d]);
    expect(validWireOf(d)).toBeUndefined();
    expectSameAsEncoder(d);
    expect(Buffer.from(payloadWithRoom(d)).includes('someone-else')).toBe(true);
    expect(Buffer.from(payloadWithRoom(d)).includes('changed inside')).toBe(true);
  });

  it('processors that declare preservesContent leave the wire bytes; the default drops them even when nothing changed', () => {
    const preserving: RecordProcessor = { mutates: false, preservesContent: true, process: () => true };
    const undeclared: RecordProcessor = { mutates: false, process: () => true };
    const a = decodedSample();
    processRecords([a], [preserving, preserving]);
    expect(validWireOf(a)).toBeDefined();
    const b = decodedSample();
    processRecords([b], [preserving, undeclared]);
    expect(validWireOf(b)).toBeUndefined();
    const c = decodedSample();
    // dropped even when the processor throws for the record
    const refusing: RecordProcessor = {
      mutates: true,
      process: () => {
        throw new Error('bug');
      },
    };
    processRecords([c], [refusing]);
    expect(validWireOf(c)).toBeUndefined();
  });

  it('a shallow change of a field is seen without processRecords', () => {
    const changes: ((r: AuditRecord) => void)[] = [
      (r) => (r.severityText = 'WARN'),
      (r) => (r.severityNumber = 13),
      (r) => (r.body = 'other'),
      (r) => (r.eventName = ''),
      (r) => (r.attributes = [...r.attributes]),
      (r) => r.attributes.pop(),
      (r) => {
        r.attributes.pop();
        r.attributes.push({ key: 'tags', value: ['a', 'b'] });
      },
    ];
    for (const change of changes) {
      const d = decodedSample();
      change(d);
      expect(validWireOf(d)).toBeUndefined();
      expectSameAsEncoder(d);
    }
  });

  it('fan-out: the copies other pipelines get have no wire bytes, the original keeps them; same bytes', async () => {
    const seen: AuditRecord[][] = [];
    const capture = { consumeLogs: (batch: LogBatch) => Promise.resolve(void seen.push(batch.records)) };
    const d = decodedSample();
    await new FanOutConsumer([capture, capture]).consumeLogs({ records: [d] });
    const [copy, original] = seen as [AuditRecord[], AuditRecord[]];
    expect(original[0]).toBe(d);
    expect(validWireOf(d)).toBeDefined();
    expect(validWireOf(copy[0] as AuditRecord)).toBeUndefined();
    expect(Buffer.from(payloadWithRoom(copy[0] as AuditRecord)).equals(Buffer.from(payloadWithRoom(d)))).toBe(
      true,
    );
  });
});
