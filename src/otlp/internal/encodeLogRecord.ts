/**
 * Writes a LogRecord, a Resource or an InstrumentationScope message straight
 * from the record model into an `EncodeBuffer`: the same bytes protobufjs
 * writes for the objects of `recordsToPb.ts` / `pbValues.ts` (the canonical
 * form of docs/record-encoding.md §2: fields in field-number order, proto3
 * defaults omitted except inside the AnyValue oneof, empty body / empty
 * value / empty containers as empty messages, NaN canonical, negative int32
 * and int64 as 10-byte varints), without building intermediate objects.
 *
 * It checks every value it writes against the model's invariants — the
 * checks `validateRecord` makes — and stops at the first violation with
 * `NOT_ENCODABLE`; the caller then lets `validateRecord` report it (so the
 * error, its code and its path are exactly validateRecord's). Recursion is
 * bounded by the AnyValue depth ceiling (a circular value stops there).
 */
import {
  ANY_VALUE_DEPTH_CEILING,
  INT64_MAX,
  INT64_MIN,
  type AnyValue,
  type KeyValue,
} from '../../record/AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import { isFixed64, isInt32, isUint32 } from '../../record/validateRecord.ts';
import type { EncodeBuffer } from './encodeBuffer.ts';

/** Thrown (one shared instance, never escapes the encoder) at the first value the model does not allow. */
export class NotEncodable extends Error {}
export const NOT_ENCODABLE = new NotEncodable('value breaks the record model (validateRecord names it)');

function fail(): never {
  throw NOT_ENCODABLE;
}

/** Splits an int64 into its two's-complement 32-bit halves. */
const halves = new DataView(new ArrayBuffer(8));

/** LogRecord fields 1..12 (the message content, without tag and length). */
export function writeLogRecord(w: EncodeBuffer, r: AuditRecord): void {
  const time = r.timeUnixNano;
  const observed = r.observedTimeUnixNano;
  const severity = r.severityNumber;
  if (!isFixed64(time) || !isFixed64(observed) || !isInt32(severity)) fail();
  w.ensure(20);
  if (time !== 0n) {
    w.byte(0x09);
    w.fixed64(time);
  }
  if (severity !== 0) {
    w.byte(0x10);
    if (severity > 0) w.varint32(severity);
    else w.varint64(severity >>> 0, 0xffff_ffff);
  }
  stringField(w, 0x1a, r.severityText);
  const body = r.body;
  if (body !== undefined) {
    const at = w.beginMessage(0x2a);
    writeAnyValue(w, body, 1);
    w.endMessage(at);
  }
  attributeList(w, 0x32, r.attributes);
  uint32Field(w, 0x38, r.droppedAttributesCount);
  const flags = r.flags;
  if (!isUint32(flags)) fail();
  if (flags !== 0) {
    w.ensure(5);
    w.byte(0x45);
    w.fixed32(flags);
  }
  hexIdField(w, 0x4a, r.traceId, 32);
  hexIdField(w, 0x52, r.spanId, 16);
  if (observed !== 0n) {
    w.ensure(9);
    w.byte(0x59);
    w.fixed64(observed);
  }
  stringField(w, 0x62, r.eventName);
}

/** Resource fields (attributes, dropped_attributes_count). `schemaUrl` is checked too (it is written on ResourceLogs). */
export function writeResource(w: EncodeBuffer, resource: AuditResource): void {
  if (typeof resource !== 'object' || resource === null) fail();
  attributeList(w, 0x0a, resource.attributes);
  uint32Field(w, 0x10, resource.droppedAttributesCount);
  checkString(resource.schemaUrl);
}

/** InstrumentationScope fields (name, version, attributes, dropped_attributes_count); `schemaUrl` is checked too. */
export function writeScope(w: EncodeBuffer, scope: AuditScope): void {
  if (typeof scope !== 'object' || scope === null) fail();
  stringField(w, 0x0a, scope.name);
  stringField(w, 0x12, scope.version);
  attributeList(w, 0x1a, scope.attributes);
  uint32Field(w, 0x20, scope.droppedAttributesCount);
  checkString(scope.schemaUrl);
}

/** A string field, omitted when ''. */
export function stringField(w: EncodeBuffer, tag: number, s: string): void {
  if (typeof s !== 'string') fail();
  if (s !== '' && !w.string(tag, s)) fail();
}

function checkString(s: string): void {
  if (typeof s !== 'string' || !s.isWellFormed()) fail();
}

function uint32Field(w: EncodeBuffer, tag: number, value: number): void {
  if (!isUint32(value)) fail();
  if (value !== 0) {
    w.ensure(6);
    w.byte(tag);
    w.varint32(value);
  }
}

/** `chars` lowercase hex characters as `chars / 2` bytes, omitted when ''. */
function hexIdField(w: EncodeBuffer, tag: number, id: string, chars: number): void {
  if (typeof id !== 'string') fail();
  if (id === '') return;
  if (id.length !== chars) fail();
  w.ensure(2 + chars / 2);
  w.byte(tag);
  w.byte(chars / 2);
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < chars; i += 2) {
    const a = id.charCodeAt(i);
    const b = id.charCodeAt(i + 1);
    if ((a | b) > 0x7f) fail();
    const hi = HEX_DIGIT[a] as number;
    const lo = HEX_DIGIT[b] as number;
    if ((hi | lo) < 0) fail();
    buf[p++] = (hi << 4) | lo;
  }
  w.pos = p;
}

/** ASCII code → value of a lowercase hex digit, or -1 (a table halves the per-id cost against branches). */
const HEX_DIGIT = new Int8Array(0x80).fill(-1);
for (let i = 0; i < 16; i++) HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i;

function attributeList(w: EncodeBuffer, tag: number, list: readonly KeyValue[]): void {
  if (!Array.isArray(list)) fail();
  writeKeyValues(w, tag, list, 0, 0);
}

/** LogRecord attributes (field 6) from entry `from` on: the entries appended to a record whose wire bytes are reused. */
export function writeLogRecordAttributesFrom(w: EncodeBuffer, list: readonly KeyValue[], from: number): void {
  if (!Array.isArray(list)) fail();
  writeKeyValues(w, 0x32, list, 0, from);
}

/** Each entry from `from` on as a KeyValue message under `tag`; values at `depth + 1`. */
function writeKeyValues(
  w: EncodeBuffer,
  tag: number,
  list: readonly KeyValue[],
  depth: number,
  from: number,
): void {
  for (let i = from; i < list.length; i++) {
    const kv = list[i];
    if (typeof kv !== 'object' || kv === null) fail();
    const at = w.beginMessage(tag);
    stringField(w, 0x0a, kv.key);
    const valueAt = w.beginMessage(0x12);
    writeAnyValue(w, kv.value, depth + 1);
    w.endMessage(valueAt);
    w.endMessage(at);
  }
}

/** The AnyValue message content: the one set member of the oneof (nothing for the empty value). */
function writeAnyValue(w: EncodeBuffer, value: AnyValue, depth: number): void {
  if (depth > ANY_VALUE_DEPTH_CEILING) fail();
  switch (typeof value) {
    case 'string':
      if (!w.string(0x0a, value)) fail();
      return;
    case 'boolean':
      w.ensure(2);
      w.byte(0x10);
      w.byte(value ? 1 : 0);
      return;
    case 'bigint':
      writeInt64(w, value);
      return;
    case 'number':
      w.ensure(9);
      w.byte(0x21);
      w.double(value);
      return;
    case 'object': {
      if (value === null) return;
      if (value instanceof Uint8Array) {
        w.bytes(0x3a, value);
        return;
      }
      if (Array.isArray(value)) {
        const at = w.beginMessage(0x2a);
        for (let i = 0; i < value.length; i++) {
          const elementAt = w.beginMessage(0x0a);
          writeAnyValue(w, value[i] as AnyValue, depth + 1);
          w.endMessage(elementAt);
        }
        w.endMessage(at);
        return;
      }
      const values = value.values;
      if (!Array.isArray(values)) fail();
      const at = w.beginMessage(0x32);
      writeKeyValues(w, 0x0a, values, depth, 0);
      w.endMessage(at);
      return;
    }
    default:
      fail();
  }
}

function writeInt64(w: EncodeBuffer, value: bigint): void {
  w.ensure(11);
  w.byte(0x18);
  // The common case without BigInt comparisons: Number() is exact below 2^53, so `n` is in
  // [0, 2^32) exactly when `value` is.
  const n = Number(value);
  if (n >= 0 && n <= 0xffff_ffff) {
    w.varint32(n);
    return;
  }
  if (value < INT64_MIN || value > INT64_MAX) fail();
  halves.setBigInt64(0, value, true);
  w.varint64(halves.getUint32(0, true), halves.getUint32(4, true));
}
