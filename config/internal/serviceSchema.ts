/**
 * The shape of `service` and of one pipeline. Lists of component ids may also
 * be written as one comma-separated string (`receivers: otlp`), which the
 * Collector accepts too.
 */
import { z } from 'zod';

// A blank string is an empty list, as in the Collector (`processors: ${env:EXTRA_PROCESSORS}` unset).
const splitIds = (value: unknown) =>
  typeof value === 'string' ? (value.trim() === '' ? [] : value.split(',')) : value;

export const idListSchema = z.preprocess(splitIds, z.array(z.string()).nullish());

export const pipelineSchema = z
  .strictObject({
    receivers: idListSchema,
    processors: idListSchema,
    exporters: idListSchema,
  })
  .nullish();

export const serviceSchema = z
  .strictObject({
    extensions: idListSchema,
    pipelines: z.record(z.string(), z.unknown()).nullish(),
    telemetry: z.unknown().optional(),
  })
  .nullish();

export const SIGNALS_NOT_SUPPORTED: readonly string[] = ['traces', 'metrics', 'profiles'];
