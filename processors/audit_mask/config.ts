/**
 * `audit_mask` processor configuration. See README.md for the reference.
 * Custom patterns and the hash key settings are checked here, when the
 * configuration is validated, so every problem is reported with its YAML
 * path; the key itself is read when the processor is created.
 */
import { z } from 'zod';
import { ANY_VALUE_DEPTH_CEILING } from '../../src/record/AnyValue.ts';
import { ProblemList, reportProblems } from '../filter/match/problems.ts';
import { compileMask } from './compileMask.ts';
import { CONFIGURABLE_DETECTORS } from './detectors/builtin.ts';
import { MASK_ACTIONS } from './engine/MaskAction.ts';
import { PATTERN_WORK_UNITS_DEFAULT } from './engine/PatternWork.ts';

export const AUDIT_MASK_TYPE = 'audit_mask';

/** Every detector that can be configured: the value detectors and the key-based `sensitive_key`. */
export const DETECTOR_NAMES: readonly string[] = CONFIGURABLE_DETECTORS;

export const DEFAULT_SENSITIVE_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'api_key',
  'apikey',
  'authorization',
  'auth',
  'cookie',
  'set-cookie',
  'session',
  'session_id',
  'private_key',
  'credential',
];

export const CUSTOM_PATTERNS_MAX = 64;
const MIB = 1024 * 1024;

const keepLast = z.number().int().min(0).max(64);
const replacement = z.string().max(256);

const detectorSchema = z.strictObject({
  enabled: z.boolean(),
  action: z.enum(MASK_ACTIONS),
  keep_last: keepLast,
  replacement,
});

export type DetectorConfig = z.output<typeof detectorSchema>;

const customPatternSchema = z.strictObject({
  name: z.string(),
  pattern: z.string(),
  action: z.enum(MASK_ACTIONS).default('redact'),
  keep_last: keepLast.default(4),
  replacement: replacement.default(''),
});

const keyList = z.array(z.string().min(1).max(1024)).max(1024);

export const auditMaskConfigSchema = z
  .strictObject({
    detectors: z.strictObject(
      Object.fromEntries(DETECTOR_NAMES.map((name) => [name, detectorSchema])) as Record<
        string,
        typeof detectorSchema
      >,
    ),
    custom_patterns: z.array(customPatternSchema).max(CUSTOM_PATTERNS_MAX),
    sensitive_keys: keyList,
    allow_keys: keyList,
    block_keys: keyList,
    hash_key: z.strictObject({ env: z.string().max(256), file: z.string().max(4096) }),
    apply_to: z.strictObject({ body: z.boolean(), attributes: z.boolean() }),
    redaction_template: z.string().min(1).max(256),
    scan_bytes_max: z
      .number()
      .int()
      .min(1024)
      .max(64 * MIB),
    depth_max: z.number().int().min(1).max(ANY_VALUE_DEPTH_CEILING),
    pattern_work_max: z
      .number()
      .int()
      .min(1)
      .max(2 ** 30),
    summary: z.enum(['silent', 'info', 'debug']),
  })
  .superRefine((config, ctx) => {
    const problems = new ProblemList();
    compileMask(config, problems);
    reportProblems(ctx, problems);
  });

export type AuditMaskConfig = z.output<typeof auditMaskConfigSchema>;

export function createDefaultAuditMaskConfig(): AuditMaskConfig {
  const detectors: Record<string, DetectorConfig> = {};
  for (const name of DETECTOR_NAMES) {
    detectors[name] = {
      enabled: true,
      action: name === 'credit_card' ? 'partial' : 'redact',
      keep_last: 4,
      replacement: '',
    };
  }
  return {
    detectors,
    custom_patterns: [],
    sensitive_keys: [...DEFAULT_SENSITIVE_KEYS],
    allow_keys: [],
    block_keys: [],
    hash_key: { env: '', file: '' },
    apply_to: { body: true, attributes: true },
    redaction_template: '[REDACTED:{type}]',
    scan_bytes_max: MIB,
    depth_max: 16,
    pattern_work_max: PATTERN_WORK_UNITS_DEFAULT,
    summary: 'info',
  };
}
