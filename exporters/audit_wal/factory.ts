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
  create: (settings, config) => new AuditWalExporter(settings, config),
};
