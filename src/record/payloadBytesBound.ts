/**
 * An upper bound on `encodeRecord(record).length`, computed without encoding
 * (no allocation): every protobuf field is counted at its widest (tag plus a
 * 10-byte length or varint) and every string at 3 UTF-8 bytes per UTF-16 unit
 * (a surrogate pair is 2 units for 4 bytes). Used where a record's size must
 * be checked before its real payload exists (chained records are encoded at
 * write time, in WAL order); when the bound is over a limit, callers fall
 * back to encoding, so the bound only needs to be cheap and never too small.
 */
import type { AnyValue, KeyValue } from './AnyValue.ts';
import type { AuditRecord } from './AuditRecord.ts';

/** Tag (up to 2 bytes) + length or varint (up to 10 bytes), rounded up. */
const FIELD_BYTES_MAX = 12;

function stringBound(s: string): number {
  return FIELD_BYTES_MAX + 3 * s.length;
}

function anyValueBound(v: AnyValue): number {
  // The AnyValue message itself, then its one field.
  if (typeof v === 'string') return FIELD_BYTES_MAX + stringBound(v);
  if (typeof v !== 'object' || v === null) return 2 * FIELD_BYTES_MAX; // bool, int, double, empty
  if (v instanceof Uint8Array) return 2 * FIELD_BYTES_MAX + v.length;
  if (Array.isArray(v)) {
    let n = 2 * FIELD_BYTES_MAX;
    for (let i = 0; i < v.length; i++) n += anyValueBound(v[i] as AnyValue);
    return n;
  }
  return 2 * FIELD_BYTES_MAX + keyValuesBound(v.values);
}

/** Upper bound on the encoded bytes of an attribute list (each entry a length-delimited KeyValue). */
export function keyValuesBound(list: readonly KeyValue[]): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as KeyValue;
    n += FIELD_BYTES_MAX + stringBound(kv.key) + anyValueBound(kv.value);
  }
  return n;
}

/** Never less than `encodeRecord(record).length` (version byte included). */
export function recordPayloadBytesUpperBound(record: AuditRecord): number {
  const { resource, scope } = record;
  const resourceBytes =
    FIELD_BYTES_MAX + // ResourceLogs
    FIELD_BYTES_MAX + // Resource
    keyValuesBound(resource.attributes) +
    FIELD_BYTES_MAX + // dropped_attributes_count
    stringBound(resource.schemaUrl);
  const scopeBytes =
    FIELD_BYTES_MAX + // ScopeLogs
    FIELD_BYTES_MAX + // InstrumentationScope
    stringBound(scope.name) +
    stringBound(scope.version) +
    keyValuesBound(scope.attributes) +
    FIELD_BYTES_MAX +
    stringBound(scope.schemaUrl);
  const recordBytes =
    FIELD_BYTES_MAX + // LogRecord
    6 * FIELD_BYTES_MAX + // times, severity number, dropped count, flags
    stringBound(record.severityText) +
    (record.body === undefined ? 0 : FIELD_BYTES_MAX + anyValueBound(record.body)) +
    keyValuesBound(record.attributes) +
    stringBound(record.traceId) +
    stringBound(record.spanId) +
    stringBound(record.eventName);
  return 1 + resourceBytes + scopeBytes + recordBytes;
}
