/**
 * The configuration of secret keys, shared by the privacy processors: a list
 * of sources, the FIRST being the active key, e.g.
 *
 *   keys:
 *     - env: OTEL_AUDIT_PSEUDONYM_KEY          # active
 *     - file: /etc/otel-audit/pseudonym-2024.key  # still read (rotation)
 *
 * Each source holds standard base64 of 32 bytes: `file` (relative to the
 * config's directory), `env` (a variable name), or `value` (inline — meant
 * for `${env:NAME}` expansion and tests, never for a committed config).
 */
import path from 'node:path';
import { z } from 'zod';
import { keyMaterialProvider, type KeyProvider } from './KeyProvider.ts';
import { KEY_RING_KEYS_MAX } from './SecretKey.ts';

const keySourceSchema = z
  .strictObject({
    file: z.string().min(1).max(4096).optional(),
    env: z.string().min(1).max(256).optional(),
    value: z.string().min(1).max(4096).optional(),
  })
  .superRefine((source, ctx) => {
    const set = [source.file, source.env, source.value].filter((v) => v !== undefined).length;
    if (set !== 1) ctx.addIssue({ code: 'custom', message: 'set exactly one of file, env or value' });
  });

export type KeySourceConfig = z.output<typeof keySourceSchema>;

/** A list of key sources; `required`: at least one. */
export function keyListSchema(required: boolean) {
  return z
    .array(keySourceSchema)
    .min(required ? 1 : 0, { message: 'needs at least one key (the first is the active one)' })
    .max(KEY_RING_KEYS_MAX);
}

/** Providers for configured sources; relative files resolve against `baseDir`. */
export function keyProviders(sources: readonly KeySourceConfig[], baseDir: string): KeyProvider[] {
  return sources.map((s) =>
    keyMaterialProvider(
      s.file !== undefined
        ? { file: path.resolve(baseDir, s.file) }
        : s.env !== undefined
          ? { env: s.env }
          : { value: s.value as string },
    ),
  );
}

/** A fixed, PUBLIC key for example configurations and tests only (32 bytes, base64). */
export const EXAMPLE_KEY_BASE64 = Buffer.from('otel-audit example key: PUBLIC!!', 'utf8').toString('base64');
