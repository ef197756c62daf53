/**
 * `audit_pseudonymize` processor configuration. See README.md for the
 * reference. Paths are checked here (so problems carry their YAML path);
 * keys are read when the processor starts.
 */
import { z } from 'zod';
import { keyListSchema } from '../../src/privacy/keyConfig.ts';

export const AUDIT_PSEUDONYMIZE_TYPE = 'audit_pseudonymize';

/** The most paths of one kind (`attributes`, `body_paths`) a processor accepts. */
export const PATHS_MAX = 256;

/** A list of dotted paths: non-empty, no empty segment at either end, no duplicates. */
export const pathListSchema = z
  .array(
    z
      .string()
      .min(1, { message: 'must not be empty' })
      .max(1024)
      .refine((p) => !p.startsWith('.') && !p.endsWith('.'), {
        message: 'must not start or end with "."',
      }),
  )
  .max(PATHS_MAX)
  .superRefine((paths, ctx) => {
    paths.forEach((p, index) => {
      if (paths.indexOf(p) !== index) {
        ctx.addIssue({ code: 'custom', path: [index], message: `"${p}" is listed twice` });
      }
    });
  });

export const auditPseudonymizeConfigSchema = z.strictObject({
  /** Attributes to replace by tokens: keys, or dotted paths into kvlist values. */
  attributes: pathListSchema,
  /** Dotted paths into a kvlist body. */
  body_paths: pathListSchema,
  /** Pseudonym (HMAC) keys; the first is active. Required. */
  keys: keyListSchema(true),
  /** Reversal (AES) keys; non-empty turns on reversible tokens. The first is active. */
  reversal_keys: keyListSchema(false),
});

export type AuditPseudonymizeConfig = z.output<typeof auditPseudonymizeConfigSchema>;

export function createDefaultAuditPseudonymizeConfig(): unknown {
  return { attributes: [], body_paths: [], reversal_keys: [] };
}
