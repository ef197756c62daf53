/** `MutableLogRecordView` over a plain `AuditRecord`: reads and writes the record itself. */
import type { AnyValue, KeyValue } from './AnyValue.ts';
import type { AuditRecord } from './AuditRecord.ts';
import { deleteAll, getFirst, setFirst } from './internal/attributeList.ts';
import type { MutableLogRecordView } from './MutableLogRecordView.ts';

export function auditRecordView(record: AuditRecord): MutableLogRecordView {
  return new AuditRecordView(record);
}

export class AuditRecordView implements MutableLogRecordView {
  readonly record: AuditRecord;

  constructor(record: AuditRecord) {
    this.record = record;
  }

  resourceAttributes(): readonly KeyValue[] {
    return this.record.resource.attributes;
  }
  getResourceAttribute(key: string): AnyValue | undefined {
    return getFirst(this.record.resource.attributes, key);
  }
  get resourceSchemaUrl(): string {
    return this.record.resource.schemaUrl;
  }
  get scopeName(): string {
    return this.record.scope.name;
  }
  get scopeVersion(): string {
    return this.record.scope.version;
  }
  get scopeSchemaUrl(): string {
    return this.record.scope.schemaUrl;
  }
  scopeAttributes(): readonly KeyValue[] {
    return this.record.scope.attributes;
  }
  getScopeAttribute(key: string): AnyValue | undefined {
    return getFirst(this.record.scope.attributes, key);
  }
  get timeUnixNano(): bigint {
    return this.record.timeUnixNano;
  }
  get observedTimeUnixNano(): bigint {
    return this.record.observedTimeUnixNano;
  }
  get traceId(): string {
    return this.record.traceId;
  }
  get spanId(): string {
    return this.record.spanId;
  }
  get flags(): number {
    return this.record.flags;
  }
  get droppedAttributesCount(): number {
    return this.record.droppedAttributesCount;
  }

  get severityNumber(): number {
    return this.record.severityNumber;
  }
  set severityNumber(value: number) {
    this.record.severityNumber = value;
  }
  get severityText(): string {
    return this.record.severityText;
  }
  set severityText(value: string) {
    this.record.severityText = value;
  }
  get eventName(): string {
    return this.record.eventName;
  }
  set eventName(value: string) {
    this.record.eventName = value;
  }

  getBody(): AnyValue | undefined {
    return this.record.body;
  }
  setBody(body: AnyValue): void {
    this.record.body = body;
  }

  attributes(): KeyValue[] {
    return this.record.attributes.slice();
  }
  getAttribute(key: string): AnyValue | undefined {
    return getFirst(this.record.attributes, key);
  }
  setAttribute(key: string, value: AnyValue): void {
    setFirst(this.record.attributes, key, value);
  }
  deleteAttribute(key: string): boolean {
    return deleteAll(this.record.attributes, key);
  }
}
