import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { createDefaultFilterConfig, FILTER_TYPE, filterConfigSchema, type FilterConfig } from './config.ts';
import { FilterProcessor } from './FilterProcessor.ts';

export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  type: FILTER_TYPE,
  kind: 'processor',
  configSchema: filterConfigSchema,
  createDefaultConfig: createDefaultFilterConfig,
  create: (settings, config) => new FilterProcessor(settings, config),
};
