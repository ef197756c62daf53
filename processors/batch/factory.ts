import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { BatchProcessor } from './BatchProcessor.ts';
import { BATCH_TYPE, batchConfigSchema, createDefaultBatchConfig, type BatchConfig } from './config.ts';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  type: BATCH_TYPE,
  kind: 'processor',
  configSchema: batchConfigSchema,
  createDefaultConfig: createDefaultBatchConfig,
  create: (settings, config) => new BatchProcessor(settings, config),
};
