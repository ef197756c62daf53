/**
 * otel-audit's canonical projection of a WHOLE `AuditRecord` (version 1) —
 * what the hash chain hashes. Its SHA-256 is the record's IntegrityHash
 * (`audit.integrity.hash`, and `audit.sequence.previous_hash` of the next
 * record). Unlike the Collector `signing` payload (collectorPayload.ts) it
 * covers every field: resource, scope, a body of any shape, every attribute
 * kind, flags, dropped counts. Specified in docs/integrity.md, "Canonical
 * encoding"; known answers in testdata/integrity/vectors/records.json.
 *
 *   { "v": 1,
 *     "resource": { "attributes": [KV...], "dropped_attributes_count": n, "schema_url": s },
 *     "scope": { "name": s, "version": s, "attributes": [KV...], "dropped_attributes_count": n, "schema_url": s },
 *     "timestamp": "<decimal ns>", "observed_timestamp": "<decimal ns>",
 *     "severity_number": n, "severity_text": s,
 *     "body": TAGGED,              — omitted when the body is absent (undefined)
 *     "attributes": [KV...],
 *     "dropped_attributes_count": n, "flags": n,
 *     "trace_id": "<hex or empty>", "span_id": "<hex or empty>", "event_name": s }
 *   KV     = { "key": s, "value": TAGGED }
 *   TAGGED = {"stringValue": s} | {"intValue": "<decimal int64>"}
 *          | {"doubleValue": <number> | "NaN" | "Infinity" | "-Infinity" | "-0"}
 *          | {"boolValue": b} | {"bytesValue": "<base64 std, padded>"}
 *          | {"arrayValue": [TAGGED...]} | {"kvlistValue": [KV...]} | {}  (the empty AnyValue)
 *
 * then RFC 8785 (jcs.ts) → UTF-8. Invariants:
 * - Attribute lists are ARRAYS in record order with duplicates kept: OTLP
 *   allows duplicate keys and the WAL keeps them, and an object would let a
 *   shadowed duplicate change without changing the hash.
 * - Entries whose key starts with `audit.integrity.` are excluded from the
 *   record's, the resource's and the scope's attribute lists (they carry the
 *   proofs; a Collector signing processor adds some to the resource). Keys
 *   inside a kvlist VALUE are data and are never excluded.
 * - Every field is always present except `body`, whose absence is itself
 *   information (absent ≠ the empty AnyValue `{}`).
 * - -0 is written as "-0" (JCS would print 0), so flipping the sign of a
 *   zero changes the hash. NaN has one form: the record model cannot carry
 *   NaN payload bits.
 * - Values nested deeper than `ANY_VALUE_DEPTH_CEILING` are a typed error
 *   (`validateRecord` refuses them anyway); so are lone surrogates.
 */
import { hash } from 'node:crypto';
import { ANY_VALUE_DEPTH_CEILING, type AnyValue, type KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { isIntegrityAttribute } from '../names.ts';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import type { JsonObject, JsonValue } from './jcs.ts';
import { bytesOfDigestHex } from './internal/digestHex.ts';
import { projectionBytes, writeProjection } from './internal/projectionWriter.ts';

export const PROJECTION_VERSION = 1;

/** The projection as a JSON value (before JCS), e.g. for display; `canonicalJson` of it is the canonical text. */
export function recordProjection(record: AuditRecord): JsonObject {
  const projection: Record<string, JsonValue> = {
    v: PROJECTION_VERSION,
    resource: {
      attributes: keyValues(record.resource.attributes, true, 'resource.attributes'),
      dropped_attributes_count: record.resource.droppedAttributesCount,
      schema_url: record.resource.schemaUrl,
    },
    scope: {
      name: record.scope.name,
      version: record.scope.version,
      attributes: keyValues(record.scope.attributes, true, 'scope.attributes'),
      dropped_attributes_count: record.scope.droppedAttributesCount,
      schema_url: record.scope.schemaUrl,
    },
    timestamp: decimal(record.timeUnixNano, 'timestamp'),
    observed_timestamp: decimal(record.observedTimeUnixNano, 'observed_timestamp'),
    severity_number: record.severityNumber,
    severity_text: record.severityText,
    attributes: keyValues(record.attributes, true, 'attributes'),
    dropped_attributes_count: record.droppedAttributesCount,
    flags: record.flags,
    trace_id: record.traceId,
    span_id: record.spanId,
    event_name: record.eventName,
  };
  if (record.body !== undefined) projection['body'] = tagged(record.body, 1, 'body');
  return projection;
}

/**
 * The canonical bytes of the record: JCS of `recordProjection`, UTF-8 —
 * written directly by internal/projectionWriter.ts (same bytes, no
 * intermediate object).
 */
export function canonicalRecordBytes(record: AuditRecord): Uint8Array {
  return projectionBytes(record, PROJECTION_VERSION).slice();
}

/**
 * The record's IntegrityHash: SHA-256 of `canonicalRecordBytes` (hashed where they are written, not
 * copied). Taken from node:crypto as hex, which is cheaper than a Buffer result (internal/digestHex.ts).
 */
export function recordHash(record: AuditRecord): Uint8Array {
  return bytesOfDigestHex(recordHashHex(record));
}

/** The IntegrityHash as lowercase hex — the form attributes carry. */
export function recordHashHex(record: AuditRecord): string {
  return hash('sha256', projectionBytes(record, PROJECTION_VERSION), 'hex');
}

/**
 * The IntegrityHash of a canonical text already written (`canonicalRecordText`):
 * one-shot `crypto.hash` over the string as UTF-8, without materializing the
 * bytes first (the hot path; ~0.5 µs less per record than createHash/update/digest).
 */
export function sha256OfCanonicalText(text: string): Uint8Array {
  const digest = hash('sha256', text, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** The canonical text of the record (its UTF-8 bytes are `canonicalRecordBytes`). */
export function canonicalRecordText(record: AuditRecord): string {
  return writeProjection(record, PROJECTION_VERSION);
}

function keyValues(list: readonly KeyValue[], excludeIntegrity: boolean, path: string): JsonValue[] {
  if (!Array.isArray(list)) throw unsupported(path, 'expected an array of { key, value }');
  const out: JsonValue[] = [];
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as KeyValue;
    if (typeof kv !== 'object' || kv === null || typeof kv.key !== 'string') {
      throw unsupported(`${path}[${i}]`, 'expected { key: string, value }');
    }
    if (excludeIntegrity && isIntegrityAttribute(kv.key)) continue;
    out.push({ key: kv.key, value: tagged(kv.value, 1, `${path}[${i}].value`) });
  }
  return out;
}

/** `level`: 1 for a top-level value, +1 per enclosing array / kvlist (AnyValue.ts depth). */
function tagged(value: AnyValue, level: number, path: string): JsonObject {
  if (level > ANY_VALUE_DEPTH_CEILING) {
    throw new CanonicalEncodingError('depth', path, `nested deeper than ${ANY_VALUE_DEPTH_CEILING}`);
  }
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: value.toString() };
    case 'number':
      return { doubleValue: double(value) };
    case 'object': {
      if (value === null) return {};
      if (value instanceof Uint8Array) return { bytesValue: base64(value) };
      if (Array.isArray(value)) {
        return { arrayValue: value.map((element, i) => tagged(element, level + 1, `${path}[${i}]`)) };
      }
      if (Array.isArray(value.values)) {
        return { kvlistValue: nestedKeyValues(value.values, level + 1, `${path}.values`) };
      }
      break;
    }
  }
  throw unsupported(path, `${typeof value} is not an AnyValue`);
}

function nestedKeyValues(list: readonly KeyValue[], level: number, path: string): JsonValue[] {
  return list.map((kv, i) => {
    if (typeof kv !== 'object' || kv === null || typeof kv.key !== 'string') {
      throw unsupported(`${path}[${i}]`, 'expected { key: string, value }');
    }
    return { key: kv.key, value: tagged(kv.value, level, `${path}[${i}].value`) };
  });
}

function double(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

function decimal(value: bigint, path: string): string {
  if (typeof value !== 'bigint') throw unsupported(path, 'expected a bigint');
  return value.toString();
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function unsupported(path: string, message: string): CanonicalEncodingError {
  return new CanonicalEncodingError('unsupported-type', path, message);
}
