import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { AuditMaskProcessor } from './AuditMaskProcessor.ts';
import {
  AUDIT_MASK_TYPE,
  auditMaskConfigSchema,
  createDefaultAuditMaskConfig,
  type AuditMaskConfig,
} from './config.ts';

export const auditMaskProcessorFactory: ProcessorFactory<AuditMaskConfig> = {
  type: AUDIT_MASK_TYPE,
  kind: 'processor',
  configSchema: auditMaskConfigSchema,
  createDefaultConfig: createDefaultAuditMaskConfig,
  create: (settings, config) => new AuditMaskProcessor(settings, config),
};
