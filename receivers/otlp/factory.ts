import type { ReceiverFactory } from '../../src/pipeline/factories.ts';
import { createDefaultOtlpConfig, OTLP_TYPE, otlpConfigSchema, type OtlpConfig } from './config.ts';
import { OtlpReceiver } from './OtlpReceiver.ts';

export const otlpReceiverFactory: ReceiverFactory<OtlpConfig> = {
  type: OTLP_TYPE,
  kind: 'receiver',
  configSchema: otlpConfigSchema,
  createDefaultConfig: createDefaultOtlpConfig,
  exampleConfig: () => ({
    protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } },
  }),
  create: (settings, config, next) => new OtlpReceiver(settings, config, next),
};
