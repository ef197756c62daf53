/**
 * `audit_encrypt` processor configuration. See README.md for the reference.
 * Paths and combinations are checked here (problems carry their YAML path);
 * master keys are read and the key store opened when the processor starts.
 */
import { z } from 'zod';
import { goDurationMs, TIMER_MS_MAX } from '../../config/duration.ts';
import { keyListSchema } from '../../src/privacy/keyConfig.ts';
import { CLOSE_TIMEOUT_MS_DEFAULT } from '../../src/privacy/KeyStore.ts';
import { pathListSchema } from '../audit_pseudonymize/config.ts';

export const AUDIT_ENCRYPT_TYPE = 'audit_encrypt';

export const MISSING_SUBJECT_POLICIES = ['default_key', 'refuse'] as const;
export type MissingSubjectPolicy = (typeof MISSING_SUBJECT_POLICIES)[number];

export const auditEncryptConfigSchema = z
  .strictObject({
    /** Encrypt the whole body (any kind) into one value. */
    body: z.boolean(),
    /** Or only these dotted paths of a kvlist body. */
    body_paths: pathListSchema,
    /** Attributes to encrypt: keys, or dotted paths into kvlist values. */
    attributes: pathListSchema,
    /** The attribute naming the data subject (string or int value); '' = none (every record is subject-less). */
    subject_attribute: z.string().max(1024),
    /** Records with something to encrypt but no subject: one shared default key, or refused (permanent error). */
    missing_subject: z.enum(MISSING_SUBJECT_POLICIES),
    key_store: z.strictObject({
      /** The key store directory (relative to the config's directory); created on first start. */
      directory: z.string().min(1).max(4096),
      /** Master keys; the first is active (wraps new data keys). */
      master_keys: keyListSchema(true),
    }),
    key_cache: z.strictObject({
      /** Unwrapped data keys kept in memory (0: none). */
      entries_max: z.number().int().min(0).max(10_000_000),
      /** How long a cached key is used before the key store is read again (a shred elsewhere takes effect). */
      ttl: goDurationMs,
    }),
    /**
     * At shutdown, how long the key store waits for key flushes still running (a hung disk) before it
     * gives up on them (logged; the shutdown rejects); the shutdown's deadline, if sooner, wins. 0: none.
     */
    close_timeout_ms: z.number().int().min(0).max(TIMER_MS_MAX),
  })
  .superRefine((c, ctx) => {
    if (c.body && c.body_paths.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['body_paths'],
        message: 'has no effect when body is true (the whole body is encrypted)',
      });
    }
  });

export type AuditEncryptConfig = z.output<typeof auditEncryptConfigSchema>;

export function createDefaultAuditEncryptConfig(): unknown {
  return {
    body: false,
    body_paths: [],
    attributes: [],
    subject_attribute: 'user.id',
    missing_subject: 'default_key',
    key_store: {},
    key_cache: { entries_max: 10_000, ttl: '1m' },
    close_timeout_ms: CLOSE_TIMEOUT_MS_DEFAULT,
  };
}
