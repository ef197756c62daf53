import type { ExtensionFactory } from '../../src/pipeline/factories.ts';
import { BearerTokenAuth } from './BearerTokenAuth.ts';
import {
  BEARER_TOKEN_AUTH_TYPE,
  bearerTokenAuthConfigSchema,
  createDefaultBearerTokenAuthConfig,
  type BearerTokenAuthConfig,
} from './config.ts';

export const bearerTokenAuthExtensionFactory: ExtensionFactory<BearerTokenAuthConfig> = {
  type: BEARER_TOKEN_AUTH_TYPE,
  kind: 'extension',
  configSchema: bearerTokenAuthConfigSchema,
  createDefaultConfig: createDefaultBearerTokenAuthConfig,
  exampleConfig: () => ({ token: 'example-token' }),
  create: (settings, config) => new BearerTokenAuth(settings, config),
};
