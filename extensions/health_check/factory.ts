import type { ExtensionFactory } from '../../src/pipeline/factories.ts';
import { HealthCheck } from './HealthCheck.ts';
import {
  HEALTH_CHECK_TYPE,
  createDefaultHealthCheckConfig,
  healthCheckConfigSchema,
  type HealthCheckConfig,
} from './config.ts';

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  type: HEALTH_CHECK_TYPE,
  kind: 'extension',
  configSchema: healthCheckConfigSchema,
  createDefaultConfig: createDefaultHealthCheckConfig,
  exampleConfig: () => ({ endpoint: '127.0.0.1:0' }),
  create: (settings, config) => new HealthCheck(settings, config),
};
