/**
 * `redaction` processor configuration: the OpenTelemetry Collector contrib
 * `redactionprocessor`'s keys and meaning (README.md). Regular expressions
 * are compiled here, when the configuration is validated, so every problem
 * is reported with its YAML path.
 */
import { z } from 'zod';
import { ProblemList, reportProblems } from '../filter/match/problems.ts';
import { compileRedaction } from './compileRedaction.ts';

export const REDACTION_TYPE = 'redaction';

/** `hash_function` values the contrib accepts (case-insensitive; `''` = mask with `****`). */
export const HASH_FUNCTIONS = ['', 'md5', 'sha1', 'sha3', 'hmac-sha256', 'hmac-sha512'] as const;
export type HashFunction = (typeof HASH_FUNCTIONS)[number];

const lowercase = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
const strings = z.array(z.string()).max(4096);

export const redactionConfigSchema = z
  .strictObject({
    allow_all_keys: z.boolean(),
    allowed_keys: strings,
    ignored_keys: strings,
    ignored_key_patterns: strings,
    blocked_key_patterns: strings,
    blocked_values: strings,
    allowed_values: strings,
    redact_all_types: z.boolean(),
    hash_function: z.preprocess(lowercase, z.enum(HASH_FUNCTIONS)),
    hmac_key: z.string(),
    /** The Collector accepts any string: `debug` and `info` write a summary, anything else is silent. */
    summary: z.string(),
    url_sanitizer: z.strictObject({
      enabled: z.boolean(),
      attributes: strings.optional(),
      sanitize_span_name: z.boolean().optional(),
    }),
    /** Accepted only disabled (see compileRedaction.ts). */
    db_sanitizer: z.record(z.string(), z.unknown()),
  })
  .superRefine((config, ctx) => {
    const problems = new ProblemList();
    compileRedaction(config, problems);
    reportProblems(ctx, problems);
  });

export type RedactionConfig = z.output<typeof redactionConfigSchema>;

/** The contrib's defaults: no key is allowed (every attribute is removed) until `allowed_keys` or `allow_all_keys` say otherwise. */
export function createDefaultRedactionConfig(): RedactionConfig {
  return {
    allow_all_keys: false,
    allowed_keys: [],
    ignored_keys: [],
    ignored_key_patterns: [],
    blocked_key_patterns: [],
    blocked_values: [],
    allowed_values: [],
    redact_all_types: false,
    hash_function: '',
    hmac_key: '',
    summary: 'silent',
    url_sanitizer: { enabled: false },
    db_sanitizer: {},
  };
}
