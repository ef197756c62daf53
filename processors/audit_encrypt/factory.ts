/**
 * `audit_encrypt`: AES-256-GCM envelope encryption of the body and/or chosen
 * attributes with per-data-subject keys (crypto-shredding). Changes records:
 * place it before `audit_chain`, so the chain covers the ciphertext and still
 * verifies after a subject's key is shredded.
 */
import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { EXAMPLE_KEY_BASE64 } from '../../src/privacy/keyConfig.ts';
import {
  AUDIT_ENCRYPT_TYPE,
  auditEncryptConfigSchema,
  createDefaultAuditEncryptConfig,
  type AuditEncryptConfig,
} from './config.ts';
import { EncryptProcessor } from './EncryptProcessor.ts';

export const auditEncryptProcessorFactory: ProcessorFactory<AuditEncryptConfig> = {
  type: AUDIT_ENCRYPT_TYPE,
  kind: 'processor',
  configSchema: auditEncryptConfigSchema,
  createDefaultConfig: createDefaultAuditEncryptConfig,
  exampleConfig: () => ({
    body: true,
    key_store: { directory: 'otel-audit-keys', master_keys: [{ value: EXAMPLE_KEY_BASE64 }] },
  }),
  create: (settings, config) => new EncryptProcessor(settings, config),
};
