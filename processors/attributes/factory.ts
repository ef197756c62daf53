import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import { AttributesProcessor } from './AttributesProcessor.ts';
import {
  ATTRIBUTES_TYPE,
  attributesConfigSchema,
  createDefaultAttributesConfig,
  type AttributesConfig,
} from './config.ts';

export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  type: ATTRIBUTES_TYPE,
  kind: 'processor',
  configSchema: attributesConfigSchema,
  createDefaultConfig: createDefaultAttributesConfig,
  create: (settings, config) => new AttributesProcessor(settings, config),
};
