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
import { partsOfResource, partsOfScope, type EncodedParts } from './encodeParts.ts';
import { validWireOf } from '../../record/recordWire.ts';
import { writeWireLogRecord } from './writeWireLogRecord.ts';
import {
  TEMPLATE_LENGTH_MAX,
  TEMPLATE_LENGTH_MIN,
  framingTemplate,
  patchLength,
} from './encodeFramingTemplate.ts';

/** Tag + 5-byte length each for ResourceLogs, ScopeLogs and LogRecord, plus the prefix byte. */
const FRAMING_BYTES_MAX = 1 + 3 * 6;

/**
 * Framing bytes when each of the three lengths (ResourceLogs, ScopeLogs,
 * LogRecord) takes a 2-byte varint (a LogRecord of 128 B to ~16 KiB), plus
 * the prefix byte: what `encodeSingleRecordWithRoom` reserves first.
 */
const FRAMING_BYTES_GUESS = 1 + 3 * 3; // the size of a framing template (encodeFramingTemplate.ts) without the heads
/** Chunk size of the writer of `encodeSingleRecordWithRoom`: long runs of adjacent frames for the WAL. */
const ADJACENT_CHUNK_BYTES = 1024 * 1024;

/** The writers; a nested call (a getter that encodes) gets its own. */
let spare: EncodeBuffer | undefined = new EncodeBuffer();
let spareAdjacent: EncodeBuffer | undefined;

/** Encodes `record` as `prefix` + LogsData; throws `RecordInvalidError` (from validateRecord) for an invalid record. */
export function encodeSingleRecord(prefix: number, record: AuditRecord): Uint8Array {
  const w = spare ?? new EncodeBuffer();
  spare = undefined;
  try {
    return encode(w, prefix, record);
  } catch (error) {
    throw validationError(record, error);
  } finally {
    spare = w;
  }
}

/**
 * `encodeSingleRecord` with `headBytes` of room before the payload and
 * `tailBytes` after it (contents unspecified: the caller fills them), as one
 * Buffer. Buffers returned one after another are mostly adjacent views of one
 * 1 MiB chunk (each starts where the previous one ends), which lets the WAL
 * write a batch of frames without copying them. A returned view keeps its
 * chunk alive.
 */
export function encodeSingleRecordWithRoom(
  prefix: number,
  record: AuditRecord,
  headBytes: number,
  tailBytes: number,
): Buffer {
  const w = borrowAdjacentWriter();
  try {
    return encodeWithRoom(w, prefix, record, headBytes, tailBytes);
  } catch (error) {
    throw validationError(record, error);
  } finally {
    returnAdjacentWriter(w);
  }
}

/**
 * The writer of the `...WithRoom` encodings, to give back with `returnAdjacentWriter`: one writer, so that
 * their results follow one another in its chunk; a nested call (a getter that encodes) gets its own.
 */
export function borrowAdjacentWriter(): EncodeBuffer {
  const w = spareAdjacent ?? new EncodeBuffer(ADJACENT_CHUNK_BYTES);
  spareAdjacent = undefined;
  return w;
}

export function returnAdjacentWriter(w: EncodeBuffer): void {
  spareAdjacent = w;
}

/** The error to throw for a record the writer stopped at: validateRecord's (or the writer's own unexpected one). */
export function validationError(record: AuditRecord, error: unknown): unknown {
  validateRecord(record);
  assert(error !== NOT_ENCODABLE, 'the record encoder refused a record that validateRecord accepts');
  return error;
}

/** `encodeSingleRecordWithRoom` with writer `w`; throws as the writer does (see `validationError`). */
export function encodeWithRoom(
  w: EncodeBuffer,
  prefix: number,
  record: AuditRecord,
  headBytes: number,
  tailBytes: number,
): Buffer {
  if (typeof record !== 'object' || record === null) throw NOT_ENCODABLE;
  const rp = partsOfResource(w, record.resource);
  const sp = partsOfScope(w, record.scope);
  return writeWithRoom(w, prefix, record, rp, sp, headBytes, tailBytes);
}

/**
 * Writes head room, the payload of `record` with the resource / scope parts
 * `rp` / `sp` (the caller's, checked against the record's resource and scope)
 * and tail room from `w.base` on, with no gap, and takes them (`takeAdjacent`):
 * the framing is first given its usual size (FRAMING_BYTES_GUESS); then it is
 * one copy of the parts' template (encodeFramingTemplate.ts) with the lengths
 * patched in, or, when the real lengths need other varint sizes, the
 * LogRecord is moved by the difference (memmove in the chunk) before the
 * framing is written field by field. Throws as the writer does.
 */
export function writeWithRoom(
  w: EncodeBuffer,
  prefix: number,
  record: AuditRecord,
  rp: EncodedParts,
  sp: EncodedParts,
  headBytes: number,
  tailBytes: number,
): Buffer {
  const t = framingTemplate(prefix, rp, sp);
  w.begin();
  const guess = headBytes + FRAMING_BYTES_GUESS + rp.head.length + sp.head.length; // t.before.length + headBytes
  w.ensure(guess);
  w.pos += guess;
  // The bytes the record was decoded from when they are still what writeLogRecord would write (recordWire.ts).
  const wire = validWireOf(record);
  if (wire === undefined) writeLogRecord(w, record);
  else writeWireLogRecord(w, record, wire);
  const lrRelative = guess; // relative to w.base, which `ensure` may move
  const lrLength = w.pos - (w.base + lrRelative);
  if (t.after.length > 0) w.raw(t.after);
  const scopeLogsLength = sp.head.length + 1 + varintBytes(lrLength) + lrLength + sp.schema.length;
  const resourceLogsLength =
    rp.head.length + 1 + varintBytes(scopeLogsLength) + scopeLogsLength + rp.schema.length;
  if (lrLength >= TEMPLATE_LENGTH_MIN && resourceLogsLength <= TEMPLATE_LENGTH_MAX) {
    // all three lengths take 2 bytes (ResourceLogs > ScopeLogs > LogRecord): exactly the template's room
    w.ensure(tailBytes);
    const buf = w.buf;
    const start = w.base + headBytes;
    buf.set(t.before, start);
    patchLength(buf, start + t.resourceLogsAt, resourceLogsLength);
    patchLength(buf, start + t.scopeLogsAt, scopeLogsLength);
    patchLength(buf, start + t.logRecordAt, lrLength);
    return w.takeAdjacent(w.base, w.pos + tailBytes);
  }
  const framing =
    headBytes +
    3 +
    varintBytes(lrLength) +
    sp.head.length +
    varintBytes(scopeLogsLength) +
    rp.head.length +
    varintBytes(resourceLogsLength) +
    1;
  const shift = framing - guess;
  w.ensure(Math.max(0, shift) + tailBytes);
  let lrStart = w.base + lrRelative;
  let end = w.pos;
  if (shift !== 0) {
    w.buf.copyWithin(lrStart + shift, lrStart, end);
    lrStart += shift;
    end += shift;
  }
  const start = writeFramingBefore(
    w.buf,
    lrStart,
    prefix,
    rp,
    sp,
    lrLength,
    scopeLogsLength,
    resourceLogsLength,
  );
  assert(start - headBytes === w.base, 'the framing fills exactly the room reserved for it');
  return w.takeAdjacent(w.base, end + tailBytes);
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
  const p = writeFramingBefore(w.buf, lrStart, prefix, rp, sp, lrLength, scopeLogsLength, resourceLogsLength);
  return w.take(p, end);
}

/** Writes prefix, ResourceLogs / ScopeLogs / LogRecord tags and lengths and the resource / scope heads, backwards from `lrStart`; returns where they start. */
function writeFramingBefore(
  buf: Buffer,
  lrStart: number,
  prefix: number,
  rp: EncodedParts,
  sp: EncodedParts,
  lrLength: number,
  scopeLogsLength: number,
  resourceLogsLength: number,
): number {
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
  return p;
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
