/**
 * `service::telemetry`, validated loosely: a Collector config's telemetry
 * section is accepted as long as its four sections are maps, and the keys that
 * otel-audit uses are checked:
 *
 * - `logs::level`: otel-audit's own log level (debug, info, warn, error; the
 *   Collector's dpanic, panic and fatal are accepted too), default info;
 * - `metrics::level`: none, basic, normal (default) or detailed; `none` turns
 *   the metrics endpoint off;
 * - `metrics::readers[*]::pull::exporter::prometheus::{host, port}`: where the
 *   Prometheus metrics are served;
 * - `resource`: attributes of otel-audit's own telemetry (a null value removes one).
 *
 * Every other key under `logs`, `metrics` and `traces` is accepted and ignored.
 */
import { z } from 'zod';

export type TelemetryLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';
export type TelemetryMetricsLevel = 'none' | 'basic' | 'normal' | 'detailed';

export interface PrometheusEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface TelemetryConfig {
  readonly logs: { readonly level: TelemetryLogLevel };
  readonly metrics: {
    readonly level: TelemetryMetricsLevel;
    readonly prometheus: readonly PrometheusEndpoint[];
  };
  readonly resource: Readonly<Record<string, string | null>>;
}

const lowerCase = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

const prometheusReader = z.looseObject({
  pull: z
    .looseObject({
      exporter: z
        .looseObject({
          prometheus: z
            .looseObject({
              host: z.string().default('localhost'),
              port: z.number().int().min(0).max(65535),
            })
            .optional(),
        })
        .nullish(),
    })
    .nullish(),
});

export const telemetrySchema = z
  .strictObject({
    logs: z
      .looseObject({
        level: z
          .preprocess(lowerCase, z.enum(['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal']))
          .default('info'),
      })
      .nullish(),
    metrics: z
      .looseObject({
        level: z.preprocess(lowerCase, z.enum(['none', 'basic', 'normal', 'detailed'])).default('normal'),
        readers: z.array(prometheusReader).nullish(),
      })
      .nullish(),
    traces: z.looseObject({}).nullish(),
    resource: z.record(z.string(), z.string().nullable()).nullish(),
  })
  .nullish()
  .transform((telemetry): TelemetryConfig => {
    const prometheus = (telemetry?.metrics?.readers ?? []).flatMap((reader) => {
      const endpoint = reader.pull?.exporter?.prometheus;
      return endpoint === undefined ? [] : [{ host: endpoint.host, port: endpoint.port }];
    });
    return {
      logs: { level: telemetry?.logs?.level ?? 'info' },
      metrics: { level: telemetry?.metrics?.level ?? 'normal', prometheus },
      resource: telemetry?.resource ?? {},
    };
  });
