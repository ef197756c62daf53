/**
 * A short, human-readable summary of a proven record for `verify-proof`
 * output: event name, severity, body and attributes as compact text
 * (strings quoted, ints as digits, bytes as base64, kvlists as `{k: v}`),
 * each cut at `width` characters. Chain and integrity attributes
 * (`audit.sequence.*`, `audit.integrity.*`) are left out: the proof output
 * shows them separately.
 */
import type { AnyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';

export interface RecordDescription {
  readonly eventName: string;
  readonly severity: string;
  readonly body: string;
  readonly attributes: string;
}

export function describeRecord(record: AuditRecord, width = 160): RecordDescription {
  const attributes = record.attributes
    .filter((kv) => !kv.key.startsWith('audit.sequence.') && !kv.key.startsWith('audit.integrity.'))
    .map((kv) => `${kv.key}=${valueText(kv.value, width)}`)
    .join(', ');
  const severity =
    record.severityText === ''
      ? String(record.severityNumber)
      : `${record.severityText} (${record.severityNumber})`;
  return {
    eventName: record.eventName,
    severity,
    body: record.body === undefined ? '(none)' : cut(valueText(record.body, width), width),
    attributes: cut(attributes, width),
  };
}

function valueText(value: AnyValue, width: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(cut(value, width));
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    default:
      if (value === null) return '(empty)';
      if (value instanceof Uint8Array) return `base64:${cut(Buffer.from(value).toString('base64'), width)}`;
      if (Array.isArray(value)) return `[${value.map((v) => valueText(v, width)).join(', ')}]`;
      return `{${value.values.map((kv) => `${kv.key}: ${valueText(kv.value, width)}`).join(', ')}}`;
  }
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
