/**
 * Test helper: an `otlp` receiver on loopback speaking `protocol` on a port the OS picks, whose pipeline
 * acknowledges every batch at once and keeps it in `seen`. Not started.
 */
import { otlpConfigSchema } from '../../receivers/otlp/config.ts';
import { OtlpReceiver } from '../../receivers/otlp/OtlpReceiver.ts';
import type { LogBatch } from '../../src/pipeline/consumer.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function recordingReceiver(protocol: 'grpc' | 'http'): { receiver: OtlpReceiver; seen: LogBatch[] } {
  const seen: LogBatch[] = [];
  const receiver = new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols: { [protocol]: { endpoint: '127.0.0.1:0' } } }),
    { consumeLogs: (batch) => Promise.resolve(void seen.push(batch)) },
  );
  return { receiver, seen };
}
