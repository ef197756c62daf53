/**
 * `audit_sign`: signs the chain's checkpoints (and, with `per_record`, every
 * record) with Ed25519 (default), ECDSA P-256, RSA or HMAC-SHA256. Must come
 * after `audit_chain`; the work happens in the `audit_wal` exporters.
 */
import path from 'node:path';
import type { KeyMaterialSource } from '../../src/integrity/sign/keyMaterial.ts';
import { signBytes } from '../../src/integrity/sign/signBytes.ts';
import { loadSigningKey } from '../../src/integrity/sign/signingKey.ts';
import type { SignatureAlgorithm } from '../../src/integrity/sign/algorithms.ts';
import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import type { WalStageProcessor } from '../../src/pipeline/WalStage.ts';
import {
  AUDIT_SIGN_TYPE,
  auditSignConfigSchema,
  createDefaultAuditSignConfig,
  type AuditSignConfig,
} from './config.ts';

export const auditSignProcessorFactory: ProcessorFactory<AuditSignConfig> = {
  type: AUDIT_SIGN_TYPE,
  kind: 'processor',
  configSchema: auditSignConfigSchema,
  createDefaultConfig: createDefaultAuditSignConfig,
  exampleConfig: () => ({ key_source: { type: 'env', env: { private_key: 'OTEL_AUDIT_SIGNING_KEY' } } }),
  create: (settings, config): WalStageProcessor => {
    const ks = config.key_source;
    const block = ks ? ks[ks.type] : undefined;
    const source = (v: string | undefined): KeyMaterialSource | undefined =>
      v === undefined
        ? undefined
        : ks?.type === 'env'
          ? { env: v }
          : { file: path.resolve(settings.baseDir, v) };
    return {
      mutates: false,
      seals: true,
      walStage: {
        kind: 'sign',
        config: {
          algorithm: config.algorithm,
          perRecord: config.per_record,
          publishDir: config.publish_dir === '' ? '' : path.resolve(settings.baseDir, config.publish_dir),
          loadKey: () => {
            const privateKey = source(block?.private_key);
            const hmacKey = source(block?.hmac_key);
            const key = loadSigningKey({
              algorithm: config.algorithm as SignatureAlgorithm,
              ...(privateKey ? { privateKey } : {}),
              ...(hmacKey ? { hmacKey } : {}),
            });
            return {
              algorithm: key.algorithm,
              keyId: key.keyId,
              sign: (data) => signBytes(key.algorithm, key.key, data),
            };
          },
        },
      },
      process: () => true,
    };
  },
};
