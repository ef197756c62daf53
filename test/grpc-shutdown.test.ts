/**
 * Shutting the OTLP/gRPC receiver down within its deadline: at the deadline
 * every connection is closed and the calls in flight on them are cut
 * (UNAVAILABLE: their senders retry), whatever the pipeline still holds.
 * OtlpReceiver.shutdown deadlines follow Service.shutdown's rule: one
 * shutdown, every call returns the same promise, the earliest deadline wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { decodeLimitsOf, OtlpReceiver } from '../receivers/otlp/OtlpReceiver.ts';
import { grpcSchema, limitsSchema, otlpConfigSchema } from '../receivers/otlp/config.ts';
import { OtlpGrpcServer } from '../receivers/otlp/grpc/OtlpGrpcServer.ts';
import { exportRaw } from './helpers/rawOtlpGrpc.ts';
import { HoldingConsumer } from './helpers/holdingConsumer.ts';
import { until } from './helpers/until.ts';

const body = Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'r' })]));
const CALL = { deadlineMs: 20_000 };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('OtlpGrpcServer.close: the deadline is kept', () => {
  it('at the deadline the connections are closed and a held call cut, though grpc-js forceShutdown leaves them open with channelz off', async () => {
    // Before, forceShutdown closed nothing (grpc-js 1.14.7 destroys only the sessions it records for channelz)
    // and the call stayed open until its own 20 s deadline.
    const consumer = new HoldingConsumer();
    cleanups.push(() => consumer.releaseAll());
    const server = new OtlpGrpcServer({
      config: grpcSchema.parse({ endpoint: '127.0.0.1:0' }),
      limits: decodeLimitsOf(limitsSchema.parse({})),
      next: consumer,
      authenticator: undefined,
      baseDir: process.cwd(),
    });
    await server.listen();
    const call = exportRaw(server.endpoint, body, CALL);
    await until(() => consumer.entered === 1, 'the call to reach the pipeline');
    const t0 = Date.now();
    await server.close(100);
    expect((await call)?.code).toBe(14); // UNAVAILABLE: the sender retries
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function started(protocols: Record<string, unknown>): Promise<{
  receiver: OtlpReceiver;
  consumer: HoldingConsumer;
}> {
  const consumer = new HoldingConsumer();
  const receiver = new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols }),
    consumer,
  );
  await receiver.start();
  cleanups.push(() => consumer.releaseAll());
  return { receiver, consumer };
}

describe('OtlpReceiver.shutdown: the earliest deadline wins', () => {
  it('a later shutdown(100) after shutdown(10_000) brings the end forward: the held call is cut at 100 ms, both calls get the same promise', async () => {
    // Before, the gRPC server was closed with the first call's 10 s (the second only replaced a field read by
    // nobody any more) and the first call's promise waited for it.
    const { receiver, consumer } = await started({ grpc: { endpoint: '127.0.0.1:0' } });
    const call = exportRaw(receiver.endpoints.grpc ?? '', body, CALL);
    await until(() => consumer.entered === 1, 'the call to reach the pipeline');
    const t0 = Date.now();
    const first = receiver.shutdown(10_000);
    const second = receiver.shutdown(100);
    expect(second).toBe(first);
    expect((await call)?.code).toBe(14); // UNAVAILABLE: the sender retries
    expect(Date.now() - t0).toBeLessThan(3_000);
    await expect(first).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('(guard) a later shutdown(60_000) does not push back an earlier shutdown(100)', async () => {
    const { receiver, consumer } = await started({ grpc: { endpoint: '127.0.0.1:0' } });
    const call = exportRaw(receiver.endpoints.grpc ?? '', body, CALL);
    await until(() => consumer.entered === 1, 'the call to reach the pipeline');
    const t0 = Date.now();
    const first = receiver.shutdown(100);
    const second = receiver.shutdown(60_000);
    expect(second).toBe(first);
    expect((await call)?.code).toBe(14);
    await expect(second).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('without calls held, every shutdown call resolves at once, gRPC and HTTP', async () => {
    const { receiver } = await started({
      grpc: { endpoint: '127.0.0.1:0' },
      http: { endpoint: '127.0.0.1:0' },
    });
    const first = receiver.shutdown(10_000);
    await expect(receiver.shutdown(5_000)).resolves.toBeUndefined();
    await expect(first).resolves.toBeUndefined();
  });
});
