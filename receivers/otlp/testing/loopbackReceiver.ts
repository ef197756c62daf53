/**
 * Test helper: an `otlp` receiver on loopback — gRPC and HTTP on ports the
 * OS picks — whose protocols both authenticate through `authenticator`
 * (looked up under any id), handing batches to `next`. Not started.
 */
import { afterAll, beforeAll } from 'vitest';
import type { LogBatch, LogsConsumer } from '../../../src/pipeline/consumer.ts';
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

/** An `otlp` receiver with only the HTTP protocol, configured by `http` (the `protocols::http` map). Not started. */
export function httpReceiver(http: unknown, next: LogsConsumer): OtlpReceiver {
  return new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols: { http } }),
    next,
  );
}

/**
 * `httpReceiver` recording every batch it is handed in `seen`, started before the tests of the enclosing
 * `describe` and shut down after them (call it in a `describe` body).
 */
export function recordingHttpReceiver(http: unknown): { receiver: OtlpReceiver; seen: LogBatch[] } {
  const seen: LogBatch[] = [];
  const receiver = httpReceiver(http, { consumeLogs: (b) => Promise.resolve(void seen.push(b)) });
  beforeAll(() => receiver.start());
  afterAll(() => receiver.shutdown(2_000));
  return { receiver, seen };
}
