/**
 * `audit_pseudonymize`: keyed HMAC-SHA256 pseudonym tokens for chosen
 * attributes and body fields, optionally reversible with a separate key.
 * Changes records: place it before `audit_chain`.
 */
import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { EXAMPLE_KEY_BASE64 } from '../../src/privacy/keyConfig.ts';
import {
  AUDIT_PSEUDONYMIZE_TYPE,
  auditPseudonymizeConfigSchema,
  createDefaultAuditPseudonymizeConfig,
  type AuditPseudonymizeConfig,
} from './config.ts';
import { PseudonymizeProcessor } from './PseudonymizeProcessor.ts';

export const auditPseudonymizeProcessorFactory: ProcessorFactory<AuditPseudonymizeConfig> = {
  type: AUDIT_PSEUDONYMIZE_TYPE,
  kind: 'processor',
  configSchema: auditPseudonymizeConfigSchema,
  createDefaultConfig: createDefaultAuditPseudonymizeConfig,
  exampleConfig: () => ({ attributes: ['user.id'], keys: [{ value: EXAMPLE_KEY_BASE64 }] }),
  create: (settings, config) => new PseudonymizeProcessor(settings, config),
};
