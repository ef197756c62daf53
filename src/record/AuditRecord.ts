/**
 * `AuditRecord`: the one record shape of the pipeline — an OTLP LogRecord
 * together with its resource and instrumentation scope, with full OTLP
 * fidelity (opentelemetry-proto v1.5.0, `logs.proto`). It is what the OTLP
 * decoders produce, what `fromSdkLogRecord` makes of an SDK record, and what
 * the WAL stores (`encodeRecord`). Plain data: no methods, no prototypes, so it
 * can be compared, cloned and shipped between workers; processors edit it
 * through `MutableLogRecordView`.
 *
 * Conventions (checked by `validateRecord` before anything is encoded):
 * - Times are unsigned 64-bit nanoseconds since the Unix epoch as `bigint`;
 *   `0n` means unset (as in OTLP).
 * - `traceId` / `spanId` are lowercase hex strings of exactly 32 / 16
 *   characters, or `''` when absent. Strings are immutable (so a shared record
 *   cannot be corrupted in place), compare with `===`, and are what both the
 *   OTel API (`SpanContext`) and OTLP/JSON use.
 * - `resource` and `scope` are shared, read-only objects: the decoders give
 *   every record of one ResourceLogs / ScopeLogs the SAME object (often
 *   frozen). Never mutate them; assign a new object to change a record's
 *   resource or scope. OTLP keeps `schema_url` on ResourceLogs / ScopeLogs; it
 *   lives on `resource` / `scope` here, as in the OTel SDK.
 * - `body`: `undefined` = no body; `null` = a body that is the empty AnyValue.
 */
import type { AnyValue, KeyValue } from './AnyValue.ts';

export interface AuditResource {
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface AuditScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

export interface AuditRecord {
  resource: AuditResource;
  scope: AuditScope;
  /** fixed64 ns since the epoch; 0n = unset. */
  timeUnixNano: bigint;
  /** fixed64 ns since the epoch; 0n = unset. */
  observedTimeUnixNano: bigint;
  /** SeverityNumber (int32; 0 = unspecified; values outside 1..24 are kept as received). */
  severityNumber: number;
  severityText: string;
  /** `undefined` = absent, `null` = empty AnyValue. */
  body: AnyValue | undefined;
  /** Ordered; duplicate keys (invalid in OTLP but possible on the wire) are preserved. */
  attributes: KeyValue[];
  /** uint32 */
  droppedAttributesCount: number;
  /** fixed32: W3C trace flags in the low 8 bits, the rest reserved. */
  flags: number;
  /** 32 lowercase hex characters, or '' when absent. */
  traceId: string;
  /** 16 lowercase hex characters, or '' when absent. */
  spanId: string;
  eventName: string;
}

export const EMPTY_RESOURCE: AuditResource = Object.freeze({
  attributes: Object.freeze([]),
  droppedAttributesCount: 0,
  schemaUrl: '',
});

export const EMPTY_SCOPE: AuditScope = Object.freeze({
  name: '',
  version: '',
  attributes: Object.freeze([]),
  droppedAttributesCount: 0,
  schemaUrl: '',
});

/** A record with every field at its OTLP default, overridden by `init`. Property order is fixed. */
export function createAuditRecord(init: Partial<AuditRecord> = {}): AuditRecord {
  return {
    resource: init.resource ?? EMPTY_RESOURCE,
    scope: init.scope ?? EMPTY_SCOPE,
    timeUnixNano: init.timeUnixNano ?? 0n,
    observedTimeUnixNano: init.observedTimeUnixNano ?? 0n,
    severityNumber: init.severityNumber ?? 0,
    severityText: init.severityText ?? '',
    body: init.body,
    attributes: init.attributes ?? [],
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    flags: init.flags ?? 0,
    traceId: init.traceId ?? '',
    spanId: init.spanId ?? '',
    eventName: init.eventName ?? '',
  };
}

export function createAuditResource(init: Partial<AuditResource> = {}): AuditResource {
  return Object.freeze({
    attributes: Object.freeze([...(init.attributes ?? [])]),
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    schemaUrl: init.schemaUrl ?? '',
  });
}

export function createAuditScope(init: Partial<AuditScope> = {}): AuditScope {
  return Object.freeze({
    name: init.name ?? '',
    version: init.version ?? '',
    attributes: Object.freeze([...(init.attributes ?? [])]),
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    schemaUrl: init.schemaUrl ?? '',
  });
}
