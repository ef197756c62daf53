/**
 * `fromSdkLogRecord`: an OpenTelemetry JS SDK log record (sdk-logs 3.x
 * `ReadableLogRecord`, which a `ReadWriteLogRecord` also is) → `AuditRecord`.
 * This is what the in-process WAL exporter stores. Field mapping:
 *
 * | SDK                                             | AuditRecord                         |
 * |-------------------------------------------------|-------------------------------------|
 * | resource.attributes / schemaUrl                 | resource.attributes / schemaUrl; droppedAttributesCount 0 (the SDK's Resource has none) |
 * | instrumentationScope name/version/schemaUrl/attributes/droppedAttributesCount | scope.* ('' / 0 when missing) |
 * | hrTime, hrTimeObserved ([s, ns])                | timeUnixNano, observedTimeUnixNano (bigint ns; negative → 0n) |
 * | severityNumber / severityText / eventName       | same ('' / 0 when missing)          |
 * | body                                            | body (undefined stays absent; see sdkAnyValue.ts for values) |
 * | attributes (plain object)                       | attributes (Object.entries order)   |
 * | droppedAttributesCount                          | droppedAttributesCount              |
 * | spanContext.traceId / spanId / traceFlags       | traceId / spanId (lowercased; '' if missing or malformed) / flags (traceFlags & 0xff) |
 *
 * Resource and scope conversions are cached per SDK object (the SDK shares
 * them across records), so records of one logger share one frozen
 * `resource` / `scope` — as records decoded from OTLP do.
 */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  createAuditResource,
  createAuditScope,
  type AuditRecord,
  type AuditResource,
  type AuditScope,
} from './AuditRecord.ts';
import { hexId, hrTimeToNanos, wellFormed } from './internal/sdkFields.ts';
import { RECORD_ELEMENTS_CEILING } from './AnyValue.ts';
import { beginElementBudget, endElementBudget, fromSdkAnyValue, fromSdkAttributes } from './sdkAnyValue.ts';

type SdkResource = ReadableLogRecord['resource'];
type SdkScope = ReadableLogRecord['instrumentationScope'];

const resourceCache = new WeakMap<SdkResource, AuditResource>();
const scopeCache = new WeakMap<SdkScope, AuditScope>();

export interface FromSdkLogRecordOptions {
  /**
   * AnyValues and key-values the record may hold (body and attributes, at any depth, and the
   * resource's and scope's attributes when first converted); more throws `RecordInvalidError`
   * before the copy is built. Default RECORD_ELEMENTS_CEILING. A caller that knows the WAL's
   * `payload_bytes_max` passes it: every element takes at least one byte of payload, so nothing
   * storable is refused, and a value that shares its parts costs bounded time and memory.
   */
  readonly elementsMax?: number;
}

export function fromSdkLogRecord(record: ReadableLogRecord, options?: FromSdkLogRecordOptions): AuditRecord {
  const started = beginElementBudget(options?.elementsMax ?? RECORD_ELEMENTS_CEILING);
  try {
    return convertRecord(record);
  } finally {
    if (started) endElementBudget();
  }
}

function convertRecord(record: ReadableLogRecord): AuditRecord {
  const spanContext = record.spanContext;
  return {
    resource: convertResource(record.resource),
    scope: convertScope(record.instrumentationScope),
    timeUnixNano: hrTimeToNanos(record.hrTime),
    observedTimeUnixNano: hrTimeToNanos(record.hrTimeObserved),
    severityNumber: toInt32(record.severityNumber),
    severityText: wellFormed(record.severityText),
    body: record.body === undefined ? undefined : fromSdkAnyValue(record.body, 'body'),
    attributes: fromSdkAttributes(record.attributes, 'attributes'),
    droppedAttributesCount: toUint32(record.droppedAttributesCount),
    flags: spanContext === undefined ? 0 : (spanContext.traceFlags & 0xff) >>> 0,
    traceId: hexId(spanContext?.traceId, 32),
    spanId: hexId(spanContext?.spanId, 16),
    eventName: wellFormed(record.eventName),
  };
}

function convertResource(resource: SdkResource): AuditResource {
  let converted = resourceCache.get(resource);
  if (converted === undefined) {
    converted = createAuditResource({
      attributes: fromSdkAttributes(resource.attributes, 'resource.attributes'),
      schemaUrl: wellFormed(resource.schemaUrl),
    });
    // A resource with pending async attributes may still change: do not cache it.
    if (resource.asyncAttributesPending !== true) resourceCache.set(resource, converted);
  }
  return converted;
}

function convertScope(scope: SdkScope): AuditScope {
  let converted = scopeCache.get(scope);
  if (converted === undefined) {
    converted = createAuditScope({
      name: wellFormed(scope.name),
      version: wellFormed(scope.version),
      attributes:
        scope.attributes === undefined ? [] : fromSdkAttributes(scope.attributes, 'scope.attributes'),
      droppedAttributesCount: toUint32(scope.droppedAttributesCount),
      schemaUrl: wellFormed(scope.schemaUrl),
    });
    scopeCache.set(scope, converted);
  }
  return converted;
}

function toUint32(value: number | undefined): number {
  return Number.isInteger(value) && (value as number) >= 0 ? Math.min(value as number, 0xffff_ffff) : 0;
}

function toInt32(value: number | undefined): number {
  return Number.isInteger(value) ? (value as number) | 0 : 0;
}
