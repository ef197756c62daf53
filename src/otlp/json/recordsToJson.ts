/**
 * `AuditRecord[]` → the OTLP/JSON `ExportLogsServiceRequest` object, grouped
 * like the protobuf encoding (groupRecords.ts). proto3 JSON mapping with the
 * OTLP rules: lowerCamelCase names, default values omitted, int64/fixed64 as
 * decimal strings, enums as integers, bytes as base64, trace/span ids as
 * lowercase hex. Doubles: NaN / Infinity / -Infinity as those strings, and
 * -0 as the number `-0` (via `JSON.rawJSON`; `JSON.stringify(-0)` would say
 * `0`). `KeyValue.key` and `KeyValue.value` are always written; the empty
 * value is `{}`. Serialize with `JSON.stringify`.
 */
import { assert } from '../../errors.ts';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import { groupRecords } from '../internal/groupRecords.ts';

type Json = unknown;
type JsonObject = Record<string, Json>;

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => Json }).rawJSON;
assert(typeof rawJSON === 'function', 'JSON.rawJSON is required (Node.js 22 or later)');
const NEGATIVE_ZERO: Json = rawJSON('-0');

/** Records must have passed `validateRecord`. */
export function jsonFromRecords(records: readonly AuditRecord[]): JsonObject {
  return {
    resourceLogs: groupRecords(records).map((group) =>
      withSchemaUrl(
        {
          resource: resourceJson(group.resource),
          scopeLogs: group.scopes.map((scopeGroup) =>
            withSchemaUrl(
              { scope: scopeJson(scopeGroup.scope), logRecords: scopeGroup.records.map(logRecordJson) },
              scopeGroup.scope.schemaUrl,
            ),
          ),
        },
        group.resource.schemaUrl,
      ),
    ),
  };
}

function withSchemaUrl(object: JsonObject, schemaUrl: string): JsonObject {
  if (schemaUrl !== '') object['schemaUrl'] = schemaUrl;
  return object;
}

function resourceJson(resource: AuditResource): JsonObject {
  const out: JsonObject = {};
  if (resource.attributes.length > 0) out['attributes'] = keyValuesJson(resource.attributes);
  if (resource.droppedAttributesCount !== 0) out['droppedAttributesCount'] = resource.droppedAttributesCount;
  return out;
}

function scopeJson(scope: AuditScope): JsonObject {
  const out: JsonObject = {};
  if (scope.name !== '') out['name'] = scope.name;
  if (scope.version !== '') out['version'] = scope.version;
  if (scope.attributes.length > 0) out['attributes'] = keyValuesJson(scope.attributes);
  if (scope.droppedAttributesCount !== 0) out['droppedAttributesCount'] = scope.droppedAttributesCount;
  return out;
}

function logRecordJson(record: AuditRecord): JsonObject {
  const out: JsonObject = {};
  if (record.timeUnixNano !== 0n) out['timeUnixNano'] = record.timeUnixNano.toString();
  if (record.observedTimeUnixNano !== 0n)
    out['observedTimeUnixNano'] = record.observedTimeUnixNano.toString();
  if (record.severityNumber !== 0) out['severityNumber'] = record.severityNumber;
  if (record.severityText !== '') out['severityText'] = record.severityText;
  if (record.body !== undefined) out['body'] = anyValueJson(record.body);
  if (record.attributes.length > 0) out['attributes'] = keyValuesJson(record.attributes);
  if (record.droppedAttributesCount !== 0) out['droppedAttributesCount'] = record.droppedAttributesCount;
  if (record.flags !== 0) out['flags'] = record.flags;
  if (record.traceId !== '') out['traceId'] = record.traceId;
  if (record.spanId !== '') out['spanId'] = record.spanId;
  if (record.eventName !== '') out['eventName'] = record.eventName;
  return out;
}

function keyValuesJson(list: readonly KeyValue[]): Json[] {
  return list.map((kv) => ({ key: kv.key, value: anyValueJson(kv.value) }));
}

function anyValueJson(value: AnyValue): JsonObject {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: value.toString() };
    case 'number':
      return { doubleValue: doubleJson(value) };
    default:
      if (value === null) return {};
      if (value instanceof Uint8Array) {
        return {
          bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
        };
      }
      if (Array.isArray(value)) {
        return { arrayValue: value.length === 0 ? {} : { values: value.map((v) => anyValueJson(v)) } };
      }
      return { kvlistValue: value.values.length === 0 ? {} : { values: keyValuesJson(value.values) } };
  }
}

function doubleJson(value: number): Json {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return Object.is(value, -0) ? NEGATIVE_ZERO : value;
}
