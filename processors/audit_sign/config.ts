/**
 * `audit_sign` processor configuration. See README.md in this folder.
 */
import { z } from 'zod';
import { SIGNATURE_ALGORITHMS } from '../../src/integrity/sign/algorithms.ts';

export const AUDIT_SIGN_TYPE = 'audit_sign';

const keyFile = z.strictObject({
  private_key: z.string().min(1).optional(),
  hmac_key: z.string().min(1).optional(),
});

export const auditSignConfigSchema = z
  .strictObject({
    algorithm: z.enum(SIGNATURE_ALGORITHMS),
    key_source: z
      .strictObject({
        type: z.enum(['file', 'env']),
        /** Paths of PEM (or base64 HMAC) files. */
        file: keyFile.optional(),
        /** Names of environment variables holding PEM, base64 of PEM, or base64 HMAC keys. */
        env: keyFile.optional(),
      })
      .optional(),
    /** Also sign every record (`audit.integrity.value`), not only checkpoints. */
    per_record: z.boolean(),
    /** Write every durable checkpoint as a JSON file here, for publication outside the host. */
    publish_dir: z.string(),
  })
  .superRefine((c, ctx) => {
    const ks = c.key_source;
    const block = ks ? ks[ks.type] : undefined;
    const hmac = c.algorithm === 'HMAC-SHA256';
    if (!ks || !block) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_source'],
        message: 'set key_source with type file or env and its block',
      });
      return;
    }
    if (hmac ? !block.hmac_key : !block.private_key) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_source', ks.type, hmac ? 'hmac_key' : 'private_key'],
        message: `${c.algorithm} needs ${hmac ? 'an hmac_key' : 'a private_key'}`,
      });
    }
  });

export type AuditSignConfig = z.output<typeof auditSignConfigSchema>;

export function createDefaultAuditSignConfig(): unknown {
  return { algorithm: 'EdDSA', per_record: false, publish_dir: '' };
}
