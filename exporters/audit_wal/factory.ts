import type { ExporterFactory } from '../../src/pipeline/factories.ts';
import { AuditWalExporter } from './AuditWalExporter.ts';
import {
  AUDIT_WAL_TYPE,
  auditWalConfigSchema,
  createDefaultAuditWalConfig,
  type AuditWalConfig,
} from './config.ts';

export const auditWalExporterFactory: ExporterFactory<AuditWalConfig> = {
  type: AUDIT_WAL_TYPE,
  kind: 'exporter',
  configSchema: auditWalConfigSchema,
  createDefaultConfig: createDefaultAuditWalConfig,
  // `accept_lost_records_through_seq` goes in as a WAL override: `walOptionsFrom` (AuditWalExporter.ts)
  // does not map it (yet).
  create: (settings, config) =>
    new AuditWalExporter(
      settings,
      config,
      config.accept_lost_records_through_seq === undefined
        ? {}
        : { acceptLostRecordsThroughSeq: config.accept_lost_records_through_seq },
    ),
};
