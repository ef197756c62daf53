/**
 * The signed payload of the OpenTelemetry Collector contrib `signing`
 * processor, reproduced byte for byte so that a record signed by a Collector
 * verifies here and one signed here verifies there.
 *
 * Followed revision: open-telemetry/opentelemetry-collector-contrib,
 * `processor/signingprocessor/README.md` at commit
 * 0d2928f60a727f334aee42a2b9478c6aa49eb891 ("Signed payload", "Attribute
 * scalar encoding") and `processor_int64_precision_test.go` (quoted int64,
 * type tags), plus the fields its `serializeLogRecord` writes that that
 * README table leaves out (`severity_number`, `severity_text`). The README
 * and the processor code have differed over time — earlier heads put raw
 * (untagged) attribute values and JSON-number timestamps in the payload, and
 * a later branch signs bodies of every type — so a record signed by another
 * revision may not verify; docs/integrity.md lists the differences.
 *
 *   { "event_name": s,               — omitted when ''
 *     "body": s,                     — ONLY a string body, as a plain string; otherwise omitted
 *     "timestamp": "<decimal ns>",   — omitted when 0
 *     "observed_timestamp": "<decimal ns>", — omitted when 0
 *     "severity_number": n,          — JSON number, omitted when 0
 *     "severity_text": s,            — omitted when ''
 *     "trace_id": hex, "span_id": hex, — lowercase, omitted when empty or all-zero
 *     "attributes": { key: V... } }  — omitted when empty; `audit.integrity.*` keys
 *                                      excluded; duplicate keys: the LAST wins (pdata Range
 *                                      into a Go map)
 *   V = {"stringValue": s} | {"intValue": "<decimal>"} | {"doubleValue": n}
 *     | {"boolValue": b} | {"bytesValue": "<base64 std>"}
 *     | [V...] (array) | { key: V... } (kvlist, last duplicate wins) | null (the empty AnyValue)
 *
 * then RFC 8785 (JCS), UTF-8. Limits, as the processor: a value nested
 * deeper than 128 (a top-level attribute value is depth 0, error when a
 * value's depth exceeds 128) and a payload over 2 MiB before JCS are typed
 * errors. The processor measures Go `encoding/json` output, which differs
 * from the JCS text only by escaping `<` `>` `&` as `\u003c`… (+5 bytes each),
 * U+2028/U+2029 as `\u2028` (+3) and writing -0 as `-0` (+1); the size check
 * counts those too. NaN and ±Infinity have no JSON form: typed error (the
 * processor fails the same way); -0 becomes 0, as in the processor.
 */
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { isIntegrityAttribute } from '../names.ts';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJson, type JsonObject, type JsonValue } from './jcs.ts';

export const COLLECTOR_PAYLOAD_REVISION =
  'open-telemetry/opentelemetry-collector-contrib processor/signingprocessor README.md @ 0d2928f60a727f334aee42a2b9478c6aa49eb891';
/** Deepest attribute value nesting (`jsonMaxDepth`). */
export const COLLECTOR_PAYLOAD_DEPTH_MAX = 128;
/** Largest payload before JCS, in bytes of Go `encoding/json` output (`jsonMaxInputBytes`). */
export const COLLECTOR_PAYLOAD_BYTES_MAX = 2 * 1024 * 1024;

const ALL_ZERO = /^0*$/;
const encoder = new TextEncoder();

/** The payload object before JCS. Maps are null-prototype objects (any key is safe). */
export function collectorPayload(record: AuditRecord): JsonObject {
  const payload: Record<string, JsonValue> = {};
  if (record.eventName !== '') payload['event_name'] = record.eventName;
  if (typeof record.body === 'string') payload['body'] = record.body;
  if (record.timeUnixNano !== 0n) payload['timestamp'] = record.timeUnixNano.toString();
  if (record.observedTimeUnixNano !== 0n)
    payload['observed_timestamp'] = record.observedTimeUnixNano.toString();
  if (record.severityNumber !== 0) payload['severity_number'] = record.severityNumber;
  if (record.severityText !== '') payload['severity_text'] = record.severityText;
  if (!ALL_ZERO.test(record.traceId)) payload['trace_id'] = record.traceId;
  if (!ALL_ZERO.test(record.spanId)) payload['span_id'] = record.spanId;
  const attributes = map(record.attributes, 0, 'attributes', true);
  if (Object.keys(attributes).length > 0) payload['attributes'] = attributes;
  return payload;
}

/** The bytes the `signing` processor signs: JCS of `collectorPayload`, UTF-8. */
export function collectorPayloadBytes(record: AuditRecord): Uint8Array {
  const payload = collectorPayload(record);
  const text = canonicalJson(payload);
  const goMarshalBytes = Buffer.byteLength(text, 'utf8') + goEscapeExtraBytes(payload, 0);
  if (goMarshalBytes > COLLECTOR_PAYLOAD_BYTES_MAX) {
    throw new CanonicalEncodingError(
      'size',
      '',
      `signing payload of ${goMarshalBytes} bytes exceeds ${COLLECTOR_PAYLOAD_BYTES_MAX} bytes`,
    );
  }
  return encoder.encode(text);
}

/** A kvlist / attribute list as the processor's Go map: keys in any order, last duplicate wins. */
function map(list: readonly KeyValue[], depth: number, path: string, top: boolean): JsonObject {
  const out = Object.create(null) as Record<string, JsonValue>;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as KeyValue;
    if (top && isIntegrityAttribute(kv.key)) continue;
    out[kv.key] = value(kv.value, depth, `${path}[${i}].value`);
  }
  return out;
}

function value(v: AnyValue, depth: number, path: string): JsonValue {
  if (depth > COLLECTOR_PAYLOAD_DEPTH_MAX) {
    throw new CanonicalEncodingError('depth', path, `nested deeper than ${COLLECTOR_PAYLOAD_DEPTH_MAX}`);
  }
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'bigint':
      return { intValue: v.toString() };
    case 'number':
      if (!Number.isFinite(v))
        throw new CanonicalEncodingError('non-finite-number', path, `${v} has no JSON form`);
      return { doubleValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'object':
      if (v === null) return null;
      if (v instanceof Uint8Array) {
        return { bytesValue: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
      }
      if (Array.isArray(v)) return v.map((element, i) => value(element, depth + 1, `${path}[${i}]`));
      if (Array.isArray(v.values)) return map(v.values, depth + 1, `${path}.values`, false);
  }
  throw new CanonicalEncodingError('unsupported-type', path, `${typeof v} is not an AnyValue`);
}

const GO_HTML_ESCAPED = /[<>&]/g;
const GO_LINE_SEPARATORS = /[\u2028\u2029]/g;

/** How many more bytes Go's json.Marshal writes than JCS for the same value (see the module comment). */
function goEscapeExtraBytes(v: JsonValue, depth: number): number {
  if (typeof v === 'string') return stringExtra(v);
  if (typeof v === 'number') return Object.is(v, -0) ? 1 : 0;
  if (typeof v !== 'object' || v === null || depth > COLLECTOR_PAYLOAD_DEPTH_MAX + 4) return 0;
  let extra = 0;
  if (Array.isArray(v)) {
    for (const element of v as readonly JsonValue[]) extra += goEscapeExtraBytes(element, depth + 1);
    return extra;
  }
  const object = v as JsonObject;
  for (const key of Object.keys(object)) {
    extra += stringExtra(key) + goEscapeExtraBytes(object[key] as JsonValue, depth + 1);
  }
  return extra;
}

function stringExtra(text: string): number {
  return 5 * countMatches(text, GO_HTML_ESCAPED) + 3 * countMatches(text, GO_LINE_SEPARATORS);
}

function countMatches(text: string, pattern: RegExp): number {
  if (text.length === 0) return 0;
  pattern.lastIndex = 0;
  let count = 0;
  while (pattern.test(text)) count++;
  return count;
}
