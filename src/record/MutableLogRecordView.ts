/**
 * `MutableLogRecordView`: the one interface processors are written against,
 * so a processor serves both ways in (architecture §1) without a second
 * implementation:
 * - `auditRecordView(record)` over an `AuditRecord` (collector mode: decoded
 *   from OTLP; also records read back from the WAL);
 * - `sdkLogRecordView(record)` over an OTel SDK `ReadWriteLogRecord`
 *   (in-process, inside `LogRecordProcessor.onEmit`).
 *
 * Why a view and not one structurally shared shape: the SDK's record cannot
 * hold an OTLP record losslessly — its attributes are a plain object (no
 * duplicate keys, integer-like keys reordered), its numbers do not tell int64
 * from double, it has no bytes/int distinction in 64 bits, it keeps times as
 * HrTime and ids inside `spanContext`, and its resource has no dropped count.
 * So a plain shape "satisfied by both" would have to be the lossy SDK shape.
 * The view reads and writes in the lossless `AnyValue` model and converts at
 * the SDK edge (see sdkAnyValue.ts for the exact number mapping).
 *
 * Contract:
 * - Values returned by getters may be copies (always, for the SDK view):
 *   to change a value, call the setter — never mutate a returned value.
 * - Values passed to setters may be kept by reference: do not mutate them
 *   afterwards.
 * - Resource, scope, times, trace context and dropped count are read-only:
 *   the resource and scope are shared by many records; times and ids are
 *   facts an audit log must not rewrite.
 * - Attribute lookups return the FIRST entry with the key; `setAttribute`
 *   replaces the first entry in place (appends when absent); `deleteAttribute`
 *   removes every entry with the key.
 */
import type { AnyValue, KeyValue } from './AnyValue.ts';

export interface MutableLogRecordView {
  // read-only context
  resourceAttributes(): readonly KeyValue[];
  getResourceAttribute(key: string): AnyValue | undefined;
  readonly resourceSchemaUrl: string;
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly scopeSchemaUrl: string;
  scopeAttributes(): readonly KeyValue[];
  getScopeAttribute(key: string): AnyValue | undefined;
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  readonly droppedAttributesCount: number;

  // mutable fields
  severityNumber: number;
  severityText: string;
  eventName: string;

  /** `undefined` = no body; `null` = empty AnyValue. */
  getBody(): AnyValue | undefined;
  setBody(body: AnyValue): void;

  /** A snapshot of the attributes in order. */
  attributes(): KeyValue[];
  getAttribute(key: string): AnyValue | undefined;
  setAttribute(key: string, value: AnyValue): void;
  /** Removes every entry with `key`; true when one was present. */
  deleteAttribute(key: string): boolean;
}
