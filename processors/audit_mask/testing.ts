/** Test helpers for the audit_mask processor. */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { ProblemList } from '../filter/match/problems.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { compileMask } from './compileMask.ts';
import { auditMaskConfigSchema, createDefaultAuditMaskConfig } from './config.ts';
import { PATTERN_LIMIT } from './engine/StringScanner.ts';
import { auditMaskProcessorFactory } from './factory.ts';

/** The default configuration with `overrides` laid over it (one level deep for `detectors`). */
export function maskConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const defaults = createDefaultAuditMaskConfig() as unknown as Record<string, unknown>;
  const detectors = { ...(defaults['detectors'] as object) } as Record<string, unknown>;
  for (const [name, value] of Object.entries((overrides['detectors'] as object | undefined) ?? {})) {
    detectors[name] = { ...(detectors[name] as object), ...(value as object) };
  }
  return { ...defaults, ...overrides, detectors };
}

/** The spans the default detectors find in `text`, as `type:matched text`. */
export function detect(text: string, overrides: Record<string, unknown> = {}): string[] {
  const config = auditMaskConfigSchema.parse(maskConfig(overrides));
  const { plan } = compileMask(config, new ProblemList());
  const spans = plan.scanner.scan(text);
  if (spans === PATTERN_LIMIT) throw new Error('unreachable: no pattern work budget was given');
  return spans.map((s) => `${s.type}:${text.slice(s.start, s.end)}`);
}

/** Masks `record` with a processor configured by `overrides`; returns the record. */
export function mask(record: AuditRecord, overrides: Record<string, unknown> = {}): AuditRecord {
  const config = auditMaskConfigSchema.parse(maskConfig(overrides));
  auditMaskProcessorFactory.create(testSettings('audit_mask'), config).process(auditRecordView(record));
  return record;
}

export const withBody = (body: AuditRecord['body'], attributes: KeyValue[] = []): AuditRecord =>
  createAuditRecord({ body, attributes });

export const attr = (record: AuditRecord, key: string): KeyValue['value'] | undefined =>
  record.attributes.find((a) => a.key === key)?.value;
