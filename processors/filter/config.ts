/**
 * `filter` processor configuration (Collector contrib `filterprocessor`, the
 * logs part). YAML keys and meaning are the Collector's; see README.md.
 * OTTL conditions are parsed here, when the configuration is validated, so
 * `otel-audit validate` reports an unsupported expression with its YAML path
 * and column.
 */
import { z } from 'zod';
import { reportProblems, ProblemList } from './match/problems.ts';
import { compileFilter } from './compileFilter.ts';
import { OTTL_CONDITIONS_MAX } from './ottl/limits.ts';

export const FILTER_TYPE = 'filter';

const attributeSchema = z.strictObject({
  key: z.string(),
  /** Absent or empty: the key must be present. */
  value: z.unknown().optional(),
});

const logMatchPropertiesSchema = z.strictObject({
  match_type: z.enum(['strict', 'regexp']).optional(),
  resource_attributes: z.array(attributeSchema).optional(),
  record_attributes: z.array(attributeSchema).optional(),
  severity_texts: z.array(z.string()).optional(),
  severity_number: z
    .strictObject({
      /** A short name (`INFO`, `warn2`, case-insensitive) or a number 1..24. */
      min: z.union([z.string(), z.number().int()]).optional(),
      match_undefined: z.boolean().optional(),
    })
    .optional(),
  bodies: z.array(z.string()).optional(),
});

export type LogMatchProperties = z.infer<typeof logMatchPropertiesSchema>;

const lowercase = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

/** Collector keys for other signals or newer forms: rejected with a message rather than as unknown keys. */
const notForLogs = z.unknown().optional();

export const filterConfigSchema = z
  .strictObject({
    /** Case-insensitive, as in the Collector. */
    error_mode: z.preprocess(lowercase, z.enum(['ignore', 'silent', 'propagate'])),
    logs: z.strictObject({
      /** OTTL conditions: a record is dropped when any of them is true. */
      log_record: z.array(z.string()).max(OTTL_CONDITIONS_MAX).nullable().optional(),
      include: logMatchPropertiesSchema.nullable().optional(),
      exclude: logMatchPropertiesSchema.nullable().optional(),
    }),
    traces: notForLogs,
    metrics: notForLogs,
    spans: notForLogs,
    profiles: notForLogs,
    log_conditions: notForLogs,
    trace_conditions: notForLogs,
    metric_conditions: notForLogs,
    profile_conditions: notForLogs,
  })
  .superRefine((config, ctx) => {
    for (const key of ['traces', 'metrics', 'spans', 'profiles'] as const) {
      if (config[key] === undefined || config[key] === null) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `is not supported: otel-audit runs logs pipelines only; write log conditions under logs::log_record`,
      });
    }
    for (const key of [
      'log_conditions',
      'trace_conditions',
      'metric_conditions',
      'profile_conditions',
    ] as const) {
      if (config[key] === undefined || config[key] === null) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          'is not supported (context-inferred conditions); write log conditions under logs::log_record',
      });
    }
    const problems = new ProblemList();
    compileFilter(config, problems);
    reportProblems(ctx, problems);
  });

export type FilterConfig = z.infer<typeof filterConfigSchema>;

export function createDefaultFilterConfig(): FilterConfig {
  return { error_mode: 'propagate', logs: {} };
}
