/**
 * The WAL payload of ONE record: the `prefix` byte, then
 * LogsData{ResourceLogs{resource, ScopeLogs{scope, [record], schema}, schema}},
 * the same bytes as the protobufjs-based `encodeOtlpLogsProtobuf([record])`
 * (property-tested byte for byte), written directly by `encodeLogRecord.ts`
 * into a pooled chunk (`encodeBuffer.ts`) and returned as a view of it: no
 * intermediate objects, no copy.
 *
 * Hand-written instead of protobufjs because protobufjs was measured to be
 * the bottleneck: validateRecord + building protobufjs objects + protobufjs
 * encode().finish() cost 6.8 µs CPU per record on 4,096 distinct
 * receiver-like records (10 attributes, ~100-byte body, 770-byte payloads)
 * and 4.9 µs on SDK-like ones (7 attributes, 497 bytes); this writer,
 * validation included, 3.0 and 1.6 µs (A/B ratios 0.40 and 0.31;
 * process.cpuUsage, interleaved runs, Node 24, shared 2-core VM under load).
 * See docs/record-encoding.md, "The writer".
 *
 * Validation is fused into the write: the writer checks every value it
 * writes and, at the first violation (or any unexpected failure), the
 * record is handed to `validateRecord`, which throws the same
 * `RecordInvalidError` (code, message, path) it always has.
 *
 * The resource and scope parts are encoded once per resource / scope object
 * and reused while its content is unchanged (encodeParts.ts).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { validateRecord } from '../../record/validateRecord.ts';
import { assert } from '../../errors.ts';
import { EncodeBuffer, varintBytes } from './encodeBuffer.ts';
import { NOT_ENCODABLE, writeLogRecord } from './encodeLogRecord.ts';
import { partsOfResource, partsOfScope } from './encodeParts.ts';

/** Tag + 5-byte length each for ResourceLogs, ScopeLogs and LogRecord, plus the prefix byte. */
const FRAMING_BYTES_MAX = 1 + 3 * 6;

/** The writer; a nested call (a getter that encodes) gets its own. */
let spare: EncodeBuffer | undefined = new EncodeBuffer();

/** Encodes `record` as `prefix` + LogsData; throws `RecordInvalidError` (from validateRecord) for an invalid record. */
export function encodeSingleRecord(prefix: number, record: AuditRecord): Uint8Array {
  const w = spare ?? new EncodeBuffer();
  spare = undefined;
  try {
    return encode(w, prefix, record);
  } catch (error) {
    validateRecord(record);
    assert(error !== NOT_ENCODABLE, 'the record encoder refused a record that validateRecord accepts');
    throw error;
  } finally {
    spare = w;
  }
}

function encode(w: EncodeBuffer, prefix: number, record: AuditRecord): Uint8Array {
  if (typeof record !== 'object' || record === null) throw NOT_ENCODABLE;
  const rp = partsOfResource(w, record.resource);
  const sp = partsOfScope(w, record.scope);
  // The LogRecord goes after room for the framing; the framing is then written backwards in front of it.
  w.begin();
  const framingBytesMax = FRAMING_BYTES_MAX + rp.head.length + sp.head.length;
  w.ensure(framingBytesMax);
  w.pos += framingBytesMax;
  writeLogRecord(w, record);
  const lrLength = w.pos - (w.base + framingBytesMax);
  w.raw(sp.schema);
  w.raw(rp.schema);
  // only now: writing may have moved the payload to a new chunk
  const lrStart = w.base + framingBytesMax;
  const end = w.pos;
  const scopeLogsLength = sp.head.length + 1 + varintBytes(lrLength) + lrLength + sp.schema.length;
  const resourceLogsLength =
    rp.head.length + 1 + varintBytes(scopeLogsLength) + scopeLogsLength + rp.schema.length;
  const buf = w.buf;
  let p = lrStart;
  p = varintBefore(buf, p, lrLength);
  buf[--p] = 0x12;
  p -= sp.head.length;
  buf.set(sp.head, p);
  p = varintBefore(buf, p, scopeLogsLength);
  buf[--p] = 0x12;
  p -= rp.head.length;
  buf.set(rp.head, p);
  p = varintBefore(buf, p, resourceLogsLength);
  buf[--p] = 0x0a;
  buf[--p] = prefix;
  return w.take(p, end);
}

/** Writes `n` as a varint ending just before `end`; returns where it starts. */
function varintBefore(buf: Buffer, end: number, n: number): number {
  let p = end - varintBytes(n);
  const start = p;
  let v = n;
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p] = v;
  return start;
}
