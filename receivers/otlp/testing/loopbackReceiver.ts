/**
 * Test helper: an `otlp` receiver on loopback — gRPC and HTTP on ports the
 * OS picks — whose protocols both authenticate through `authenticator`
 * (looked up under any id), handing batches to `next`. Not started.
 */
import type { LogsConsumer } from '../../../src/pipeline/consumer.ts';
import type { Extension } from '../../../src/pipeline/factories.ts';
import { otlpConfigSchema } from '../config.ts';
import { OtlpReceiver } from '../OtlpReceiver.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function loopbackReceiverWithAuth(authenticator: Extension, next: LogsConsumer): OtlpReceiver {
  const auth = { authenticator: 'auth' };
  return new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent, extension: () => authenticator },
    otlpConfigSchema.parse({
      protocols: {
        grpc: { endpoint: '127.0.0.1:0', auth },
        http: { endpoint: '127.0.0.1:0', auth },
      },
    }),
    next,
  );
}
