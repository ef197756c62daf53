/**
 * `health_check` extension (the Collector's `healthcheckextension`, v1
 * HTTP): `endpoint` (default `localhost:13133`), `path` (default `/`),
 * `response_body` (`healthy` / `unhealthy` bodies instead of the JSON
 * status). `check_collector_pipeline` (deprecated in the Collector) is
 * accepted and has no effect: the answer always covers the pipeline's
 * `audit_wal` exporters.
 */
import { z } from 'zod';

export const HEALTH_CHECK_TYPE = 'health_check';

export const healthCheckConfigSchema = z.strictObject({
  endpoint: z.string().min(1),
  path: z.string().startsWith('/', 'must start with "/"'),
  response_body: z.strictObject({ healthy: z.string(), unhealthy: z.string() }).optional(),
  check_collector_pipeline: z
    .strictObject({
      enabled: z.boolean(),
      interval: z.string(),
      exporter_failure_threshold: z.number().int().min(0),
    })
    .partial()
    .optional(),
});

export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;

export function createDefaultHealthCheckConfig(): unknown {
  return { endpoint: 'localhost:13133', path: '/' };
}
