/** Test helpers for the attributes processor. */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { attributesConfigSchema } from './config.ts';
import { attributesProcessorFactory } from './factory.ts';

/** Runs a processor configured with `config` (plain YAML-like values) over `record`; returns its attributes. */
export function run(config: Record<string, unknown>, record: AuditRecord): KeyValue[] {
  const parsed = attributesConfigSchema.parse(config);
  attributesProcessorFactory.create(testSettings('attributes'), parsed).process(auditRecordView(record));
  return record.attributes;
}

export const attrs = (...entries: [string, KeyValue['value']][]): KeyValue[] =>
  entries.map(([key, value]) => ({ key, value }));

export const withAttrs = (...entries: [string, KeyValue['value']][]): AuditRecord =>
  createAuditRecord({ attributes: attrs(...entries) });
