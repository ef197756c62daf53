/**
 * `audit_sdk`: the in-process way in. A pipeline that lists it receives the
 * records an application emits through an OpenTelemetry `LoggerProvider` on
 * which `createAuditLogging(...).processors` are registered. Under
 * `otel-audit serve` it receives nothing (there is no application in that
 * process) and says so at start.
 */
import { z } from 'zod';
import type { ReceiverFactory } from '../../src/pipeline/factories.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';

export const AUDIT_SDK_TYPE = 'audit_sdk';

export const auditSdkConfigSchema = z.strictObject({});
export type AuditSdkConfig = z.infer<typeof auditSdkConfigSchema>;

export const auditSdkReceiverFactory: ReceiverFactory<AuditSdkConfig> = {
  type: AUDIT_SDK_TYPE,
  kind: 'receiver',
  configSchema: auditSdkConfigSchema,
  createDefaultConfig: () => ({}),
  create: (settings) => {
    const lifecycle = new Lifecycle(
      async () =>
        settings.logger.info(`${settings.id}: receives only in-process records (createAuditLogging)`),
      async () => undefined,
    );
    return { start: () => lifecycle.start(), shutdown: (ms) => lifecycle.shutdown(ms) };
  },
};
