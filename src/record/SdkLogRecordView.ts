/**
 * `MutableLogRecordView` over an OpenTelemetry JS SDK `ReadWriteLogRecord`
 * (sdk-logs 3.x), for use inside `LogRecordProcessor.onEmit` — the only time
 * the SDK lets a processor change a record. Values are converted at every
 * call (see sdkAnyValue.ts): getters return fresh copies, setters write
 * through the SDK's own setters, so its attribute limits apply
 * (`setAttribute` may be dropped or truncated by `logRecordLimits`).
 * `deleteAttribute` deletes from the SDK's attributes object directly (the SDK
 * has no delete); the SDK's internal attribute count is not decremented, so
 * under `attributeCountLimit` a deleted slot is not reused.
 */
import type { ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { AnyValue, KeyValue } from './AnyValue.ts';
import { hexId, hrTimeToNanos } from './internal/sdkFields.ts';
import type { MutableLogRecordView } from './MutableLogRecordView.ts';
import { fromSdkAnyValue, fromSdkAttributes, toSdkAnyValue } from './sdkAnyValue.ts';

export function sdkLogRecordView(record: ReadWriteLogRecord): MutableLogRecordView {
  return new SdkLogRecordView(record);
}

export class SdkLogRecordView implements MutableLogRecordView {
  readonly record: ReadWriteLogRecord;

  constructor(record: ReadWriteLogRecord) {
    this.record = record;
  }

  resourceAttributes(): readonly KeyValue[] {
    return fromSdkAttributes(this.record.resource.attributes, 'resource.attributes');
  }
  getResourceAttribute(key: string): AnyValue | undefined {
    return getOwn(this.record.resource.attributes, key, 'resource.attributes');
  }
  get resourceSchemaUrl(): string {
    return this.record.resource.schemaUrl ?? '';
  }
  get scopeName(): string {
    return this.record.instrumentationScope.name;
  }
  get scopeVersion(): string {
    return this.record.instrumentationScope.version ?? '';
  }
  get scopeSchemaUrl(): string {
    return this.record.instrumentationScope.schemaUrl ?? '';
  }
  scopeAttributes(): readonly KeyValue[] {
    const attributes = scopeAttributesOf(this.record);
    return attributes === undefined ? [] : fromSdkAttributes(attributes, 'scope.attributes');
  }
  getScopeAttribute(key: string): AnyValue | undefined {
    const attributes = scopeAttributesOf(this.record);
    return attributes === undefined ? undefined : getOwn(attributes, key, 'scope.attributes');
  }
  get timeUnixNano(): bigint {
    return hrTimeToNanos(this.record.hrTime);
  }
  get observedTimeUnixNano(): bigint {
    return hrTimeToNanos(this.record.hrTimeObserved);
  }
  get traceId(): string {
    return hexId(this.record.spanContext?.traceId, 32);
  }
  get spanId(): string {
    return hexId(this.record.spanContext?.spanId, 16);
  }
  get flags(): number {
    const flags = this.record.spanContext?.traceFlags;
    return flags === undefined ? 0 : (flags & 0xff) >>> 0;
  }
  get droppedAttributesCount(): number {
    return this.record.droppedAttributesCount;
  }

  get severityNumber(): number {
    return this.record.severityNumber ?? 0;
  }
  set severityNumber(value: number) {
    this.record.setSeverityNumber(value);
  }
  get severityText(): string {
    return this.record.severityText ?? '';
  }
  set severityText(value: string) {
    this.record.setSeverityText(value);
  }
  get eventName(): string {
    return this.record.eventName ?? '';
  }
  set eventName(value: string) {
    this.record.setEventName(value);
  }

  getBody(): AnyValue | undefined {
    const body = this.record.body;
    return body === undefined ? undefined : fromSdkAnyValue(body, 'body');
  }
  setBody(body: AnyValue): void {
    this.record.setBody(toSdkAnyValue(body));
  }

  attributes(): KeyValue[] {
    return fromSdkAttributes(this.record.attributes, 'attributes');
  }
  getAttribute(key: string): AnyValue | undefined {
    return getOwn(this.record.attributes, key, 'attributes');
  }
  setAttribute(key: string, value: AnyValue): void {
    this.record.setAttribute(key, toSdkAnyValue(value));
  }
  deleteAttribute(key: string): boolean {
    const attributes = this.record.attributes;
    if (!Object.hasOwn(attributes, key)) return false;
    const present = attributes[key] !== undefined;
    delete attributes[key];
    return present;
  }
}

function getOwn(
  attributes: Readonly<Record<string, unknown>>,
  key: string,
  path: string,
): AnyValue | undefined {
  if (!Object.hasOwn(attributes, key)) return undefined;
  const value = attributes[key];
  return value === undefined ? undefined : fromSdkAnyValue(value, `${path}.${key}`);
}

function scopeAttributesOf(record: ReadWriteLogRecord): Readonly<Record<string, unknown>> | undefined {
  // sdk-logs keeps the Logger's scope attributes on the scope object; the
  // ReadWriteLogRecord type does not declare them, the ReadableLogRecord type does.
  const scope: ReadableLogRecord['instrumentationScope'] = record.instrumentationScope;
  return scope.attributes;
}
