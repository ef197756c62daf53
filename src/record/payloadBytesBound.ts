/**
 * An upper bound on `encodeRecord(record).length`, computed without encoding
 * (no allocation): every protobuf field is counted at its widest (tag plus a
 * 10-byte length or varint) and every string at 3 UTF-8 bytes per UTF-16 unit
 * (a surrogate pair is 2 units for 4 bytes). Used where a record's size must
 * be checked before its real payload exists (chained records are encoded at
 * write time, in WAL order); when the bound is over a limit, callers fall
 * back to encoding, so the bound only needs to be cheap and never too small.
 *
 * Total: for any input — `write(record)` takes records from JavaScript callers,
 * which need not validate first — it returns a finite bound (>= 0) or throws
 * `RecordInvalidError`, never NaN and never another error. It threw a
 * TypeError for a missing part, returned NaN for a number where a string
 * belongs (a NaN compares false with every limit: the size check passed), and
 * recursed until the stack overflowed on a value that contains itself.
 */
import { OtelAuditError } from '../errors.ts';
import {
  ANY_VALUE_DEPTH_CEILING,
  RECORD_ELEMENTS_CEILING,
  type AnyValue,
  type KeyValue,
} from './AnyValue.ts';
import type { AuditRecord } from './AuditRecord.ts';
import { RecordInvalidError } from './errors.ts';
import { validateRecord } from './validateRecord.ts';

/** Tag (up to 2 bytes) + length or varint (up to 10 bytes), rounded up. */
const FIELD_BYTES_MAX = 12;

/** Thrown (and caught here) to abandon a bound deeper than `ANY_VALUE_DEPTH_CEILING`. */
const TOO_DEEP = new RangeError(`AnyValue nested deeper than ${ANY_VALUE_DEPTH_CEILING} levels`);

/** Thrown (and caught here) to abandon a bound over more than `RECORD_ELEMENTS_CEILING` elements. */
const TOO_MANY = new RangeError(`more than ${RECORD_ELEMENTS_CEILING} values and key-values`);

/** AnyValues and key-values the current bound may still visit (reset by each entry point). */
let elementsLeft = RECORD_ELEMENTS_CEILING;

function stringBound(s: string): number {
  return FIELD_BYTES_MAX + 3 * s.length;
}

/** `depth`: of `v` (1 at an attribute's value or the body), as `ANY_VALUE_DEPTH_CEILING` counts it. */
function anyValueBound(v: AnyValue, depth: number): number {
  // A value that shares its parts (`a = [b, b]`, `b = [c, c]`, …) is exponentially larger than its
  // objects: stop past what any WAL can store; validateRecord names the place.
  if (--elementsLeft < 0) throw TOO_MANY;
  // The AnyValue message itself, then its one field.
  if (typeof v === 'string') return FIELD_BYTES_MAX + stringBound(v);
  if (typeof v !== 'object' || v === null) return 2 * FIELD_BYTES_MAX; // bool, int, double, empty
  if (v instanceof Uint8Array) return 2 * FIELD_BYTES_MAX + v.length;
  // Deeper than any valid record (a value that contains itself would recurse until the stack overflows,
  // through every branch): stop at once; validateRecord names the place.
  if (depth > ANY_VALUE_DEPTH_CEILING) throw TOO_DEEP;
  if (Array.isArray(v)) {
    let n = 2 * FIELD_BYTES_MAX;
    for (let i = 0; i < v.length; i++) n += anyValueBound(v[i] as AnyValue, depth + 1);
    return n;
  }
  return 2 * FIELD_BYTES_MAX + entriesBound(v.values, depth);
}

/** `depth`: of the values in `list` minus 1 (0 for an attribute list). */
function entriesBound(list: readonly KeyValue[], depth: number): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as KeyValue;
    if (--elementsLeft < 0) throw TOO_MANY;
    n += FIELD_BYTES_MAX + stringBound(kv.key) + anyValueBound(kv.value, depth + 1);
  }
  return n;
}

/**
 * Upper bound on the encoded bytes of an attribute list (each entry a length-delimited KeyValue).
 * Total like `recordPayloadBytesUpperBound`: a finite bound (>= 0) or `RecordInvalidError`.
 */
export function keyValuesBound(list: readonly KeyValue[]): number {
  let n: number;
  elementsLeft = RECORD_ELEMENTS_CEILING;
  try {
    n = entriesBound(list, 0);
  } catch (err) {
    throw new RecordInvalidError('attributes', `not a valid attribute list: ${reasonOf(err)}`);
  }
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return n;
  throw new RecordInvalidError('attributes', 'not a valid attribute list (no size bound)');
}

/**
 * Never less than `encodeRecord(record).length` (version byte included) for a valid record. For an
 * invalid one, a finite bound (>= 0) or `RecordInvalidError` naming what is wrong.
 */
export function recordPayloadBytesUpperBound(record: AuditRecord): number {
  let n: number;
  try {
    n = uncheckedBound(record);
  } catch {
    n = NaN; // a missing part, or one that throws when read: validateRecord names it
  }
  // NaN (e.g. a number where a string belongs) fails both comparisons.
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return n;
  throw invalidRecordError(record);
}

/** Why `record` has no bound: `validateRecord`'s error, naming the path. */
function invalidRecordError(record: AuditRecord): OtelAuditError {
  try {
    validateRecord(record);
  } catch (err) {
    return err instanceof OtelAuditError ? err : unreadable('', err);
  }
  // A record validateRecord accepts has a bound, unless a part answered differently the second time.
  return new RecordInvalidError('', 'no size bound can be computed for this record');
}

/** A part of the record that throws when read (a getter, a Proxy). */
function unreadable(path: string, err: unknown): RecordInvalidError {
  return new RecordInvalidError(path, `cannot be read: ${reasonOf(err)}`);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function uncheckedBound(record: AuditRecord): number {
  elementsLeft = RECORD_ELEMENTS_CEILING;
  const { resource, scope } = record;
  const resourceBytes =
    FIELD_BYTES_MAX + // ResourceLogs
    FIELD_BYTES_MAX + // Resource
    entriesBound(resource.attributes, 0) +
    FIELD_BYTES_MAX + // dropped_attributes_count
    stringBound(resource.schemaUrl);
  const scopeBytes =
    FIELD_BYTES_MAX + // ScopeLogs
    FIELD_BYTES_MAX + // InstrumentationScope
    stringBound(scope.name) +
    stringBound(scope.version) +
    entriesBound(scope.attributes, 0) +
    FIELD_BYTES_MAX +
    stringBound(scope.schemaUrl);
  const recordBytes =
    FIELD_BYTES_MAX + // LogRecord
    6 * FIELD_BYTES_MAX + // times, severity number, dropped count, flags
    stringBound(record.severityText) +
    (record.body === undefined ? 0 : FIELD_BYTES_MAX + anyValueBound(record.body, 1)) +
    entriesBound(record.attributes, 0) +
    stringBound(record.traceId) +
    stringBound(record.spanId) +
    stringBound(record.eventName);
  return 1 + resourceBytes + scopeBytes + recordBytes;
}
