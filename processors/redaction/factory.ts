import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import {
  createDefaultRedactionConfig,
  REDACTION_TYPE,
  redactionConfigSchema,
  type RedactionConfig,
} from './config.ts';
import { RedactionProcessor } from './RedactionProcessor.ts';

export const redactionProcessorFactory: ProcessorFactory<RedactionConfig> = {
  type: REDACTION_TYPE,
  kind: 'processor',
  configSchema: redactionConfigSchema,
  createDefaultConfig: createDefaultRedactionConfig,
  create: (settings, config) => new RedactionProcessor(settings, config),
};
