/**
 * `batch` processor configuration (Collector core `batchprocessor`): every
 * key is accepted and validated as the Collector does, but nothing is
 * batched here — see README.md ("accepted for compatibility, superseded by
 * group commit").
 */
import { z } from 'zod';
import { parseGoDurationNs } from './goDuration.ts';

export const BATCH_TYPE = 'batch';

const UINT32_MAX = 2 ** 32 - 1;
const uint32 = z.number().int().min(0).max(UINT32_MAX);

export const batchConfigSchema = z
  .strictObject({
    /** A Go duration (`200ms`, `10s`) or an integer number of nanoseconds. */
    timeout: z.union([z.string(), z.number().int()]),
    send_batch_size: uint32,
    send_batch_max_size: uint32,
    metadata_keys: z.array(z.string()),
    metadata_cardinality_limit: uint32,
  })
  .superRefine((config, ctx) => {
    const timeoutNs = typeof config.timeout === 'number' ? config.timeout : parseGoDurationNs(config.timeout);
    if (timeoutNs === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: `expected a duration such as "200ms" or "10s", got ${JSON.stringify(config.timeout)}`,
      });
    } else if (timeoutNs < 0) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be greater or equal to 0' });
    }
    if (config.send_batch_max_size > 0 && config.send_batch_max_size < config.send_batch_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['send_batch_max_size'],
        message: 'send_batch_max_size must be greater or equal to send_batch_size',
      });
    }
    const seen = new Set<string>();
    config.metadata_keys.forEach((key, index) => {
      const lower = key.toLowerCase();
      if (seen.has(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metadata_keys', index],
          message: `duplicate entry in metadata_keys: ${JSON.stringify(lower)} (case-insensitive)`,
        });
      }
      seen.add(lower);
    });
  });

export type BatchConfig = z.infer<typeof batchConfigSchema>;

/** The Collector's defaults. */
export function createDefaultBatchConfig(): BatchConfig {
  return {
    timeout: '200ms',
    send_batch_size: 8192,
    send_batch_max_size: 0,
    metadata_keys: [],
    metadata_cardinality_limit: 1000,
  };
}
