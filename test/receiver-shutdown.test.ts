/**
 * Shutting the OTLP receiver down: the HTTP server follows the same
 * earliest-deadline rule as the gRPC server (test/grpc-shutdown.test.ts), and
 * a shutdown asked for while the receiver is starting leaves nothing
 * listening.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { otlpConfigSchema } from '../receivers/otlp/config.ts';
import { OtlpReceiver } from '../receivers/otlp/OtlpReceiver.ts';
import { HoldingConsumer } from './helpers/holdingConsumer.ts';
import { until } from './helpers/until.ts';
import { fakeService } from './helpers/fakeService.ts';
import { serviceOfYaml } from './helpers/serviceOfYaml.ts';

const body = Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'r' })]));
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function receiverOf(protocols: Record<string, unknown>): {
  receiver: OtlpReceiver;
  consumer: HoldingConsumer;
} {
  const consumer = new HoldingConsumer();
  const receiver = new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols }),
    consumer,
  );
  cleanups.push(() => consumer.releaseAll());
  cleanups.push(() => receiver.shutdown(1_000).catch(() => undefined));
  return { receiver, consumer };
}

/** POSTs one request; resolves with its status, or 'cut' when the connection was closed without an answer. */
function post(endpoint: string): Promise<number | 'cut'> {
  return fetch(`http://${endpoint}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body,
  }).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
    () => 'cut' as const,
  );
}

/** Whether something accepts TCP connections at `host:port`. */
function accepts(endpoint: string): Promise<boolean> {
  const i = endpoint.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** How `p` settles, or 'pending' if it has not within `ms`. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<string> {
  const outcome = p.then(
    (v) => `resolved ${String(v)}`,
    (err: unknown) => `rejected ${(err as { code?: string }).code}`,
  );
  return Promise.race([outcome, new Promise<string>((r) => setTimeout(() => r('pending'), ms))]);
}

describe('OtlpReceiver.shutdown: the HTTP server keeps the earliest deadline', () => {
  it('a later shutdown(100) after shutdown(10_000) cuts the held HTTP request at 100 ms, and the shutdown resolves', async () => {
    // Before, the HTTP server was given the 10 s left when the shutdown began: the request stayed open 10 s
    // and the shared promise rejected SHUTDOWN_TIMEOUT at 100 ms with the server still draining.
    const { receiver, consumer } = receiverOf({ http: { endpoint: '127.0.0.1:0' } });
    await receiver.start();
    const request = post(receiver.endpoints.http ?? '');
    await until(() => consumer.entered === 1, 'the request to reach the pipeline');
    const t0 = Date.now();
    const first = receiver.shutdown(10_000);
    expect(receiver.shutdown(100)).toBe(first);
    expect(await settledWithin(request, 3_000)).toBe('resolved cut'); // never acknowledged: the sender retries
    expect(await settledWithin(first, 3_000)).toBe('resolved undefined');
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('shutdown(Infinity) waits for the held HTTP request (it is not cut at once), which is then answered', async () => {
    // Before, the HTTP server was given Infinity ms, which setTimeout takes as 1 ms: the request was cut at once.
    const { receiver, consumer } = receiverOf({ http: { endpoint: '127.0.0.1:0' } });
    await receiver.start();
    const request = post(receiver.endpoints.http ?? '');
    await until(() => consumer.entered === 1, 'the request to reach the pipeline');
    const stopped = receiver.shutdown(Infinity);
    expect(await settledWithin(request, 300)).toBe('pending');
    expect(await settledWithin(stopped, 0)).toBe('pending');
    consumer.releaseAll();
    expect(await settledWithin(request, 3_000)).toBe('resolved 200');
    expect(await settledWithin(stopped, 3_000)).toBe('resolved undefined');
  });
});

describe('OtlpReceiver.shutdown during start', () => {
  it('leaves neither server listening once both have settled', async () => {
    // Before, the shutdown closed servers that were still binding: they bound afterwards and stayed up.
    const { receiver } = receiverOf({
      grpc: { endpoint: '127.0.0.1:0' },
      http: { endpoint: '127.0.0.1:0' },
    });
    const start = receiver.start();
    // Where the servers listen once the start has bound them, read before the shutdown goes on (a callback on
    // the start registered before the shutdown's runs first); a closed HTTP server reports its configured ':0'.
    const bound = start.then(() => receiver.endpoints);
    const stop = receiver.shutdown(5_000);
    await Promise.allSettled([start, stop]);
    await expect(start).resolves.toBeUndefined(); // the start ran to its end, then the shutdown closed both
    await expect(stop).resolves.toBeUndefined();
    const { grpc, http } = await bound;
    const port = expect.stringMatching(/^127\.0\.0\.1:[1-9]\d*$/);
    expect({ grpc, http }).toEqual({ grpc: port, http: port });
    expect(await accepts(grpc ?? '')).toBe(false);
    expect(await accepts(http ?? '')).toBe(false);
  });
});

describe('Service.shutdown: an earlier deadline reaches the receivers while they drain', () => {
  it('a later Service.shutdown(300) after shutdown(30_000) cuts the held HTTP request then, not 18 s later', async () => {
    // Before, the receivers' stage kept the 18 s (60% of 30 s) it began with: the request stayed open.
    const dir = mkdtempSync(path.join(tmpdir(), 'otel-audit-receiver-shutdown-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const service = serviceOfYaml(`
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${JSON.stringify(path.join(dir, 'wal'))} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    const exporter = [...service.exporters.values()][0];
    const receiver = [...service.receivers.values()][0];
    if (!(receiver instanceof OtlpReceiver) || exporter === undefined)
      throw new Error('no receiver or exporter');
    const holding = new HoldingConsumer();
    cleanups.push(() => holding.releaseAll());
    exporter.consumeLogs = (batch) => holding.consumeLogs(batch); // the pipeline holds the request
    await service.start();
    cleanups.push(() => service.shutdown(1_000).catch(() => undefined));
    const request = post(receiver.endpoints.http ?? '');
    await until(() => holding.entered === 1, 'the request to reach the exporter');
    const t0 = Date.now();
    const stopped = service.shutdown(30_000);
    await new Promise((r) => setTimeout(r, 100));
    void service.shutdown(300);
    expect(await settledWithin(request, 3_000)).toBe('resolved cut'); // never acknowledged: the sender retries
    expect(await settledWithin(stopped, 5_000)).toBe('resolved undefined');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('Service.shutdown: a deadline beyond what one setTimeout waits', () => {
  it('does not time out when the capped timer fires (2^31 - 1 ms), only 5 s after the deadline', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setImmediate'] });
    try {
      // Nothing real runs; the exporter's shutdown never ends.
      const { service, exporter } = fakeService('/nonexistent/not-opened');
      exporter.shutdown = () => new Promise<void>(() => undefined);
      await service.start();
      const deadlineMs = 2 ** 31 + 60_000;
      const outcome = service.shutdown(deadlineMs).then(
        () => 'shut down',
        (e: unknown) => (e as { code?: string }).code,
      );
      await vi.advanceTimersByTimeAsync(2 ** 31 + 1_000);
      // Old code: SHUTDOWN_TIMEOUT here, ~24.8 days into a ~24.9-day deadline.
      expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
      await vi.advanceTimersByTimeAsync(deadlineMs + 5_000 - (2 ** 31 + 1_000) + 10);
      expect(await outcome).toBe('SHUTDOWN_TIMEOUT');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Service.shutdown: only the components still shutting down hear of an earlier end', () => {
  it('a receiver already shut down is not called again; one still draining is, with the new share', async () => {
    const service = serviceOfYaml(`
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
  otlp/2: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: /nonexistent/not-opened }
service:
  pipelines:
    logs: { receivers: [otlp, otlp/2], exporters: [audit_wal] }
`);
    const [done, draining] = [...service.receivers.values()];
    const exporter = [...service.exporters.values()][0];
    if (done === undefined || draining === undefined || exporter === undefined) throw new Error('components');
    const calls: { done: number[]; draining: number[] } = { done: [], draining: [] };
    let drained = (): void => undefined;
    const drainedP = new Promise<void>((r) => (drained = r));
    for (const c of [done, draining, exporter]) c.start = () => Promise.resolve();
    done.shutdown = (ms) => (calls.done.push(ms ?? NaN), Promise.resolve());
    draining.shutdown = (ms) => (calls.draining.push(ms ?? NaN), drainedP);
    exporter.shutdown = () => Promise.resolve();
    await service.start();
    const stopped = service.shutdown(30_000);
    await new Promise((r) => setTimeout(r, 50));
    void service.shutdown(2_000);
    expect(calls.done).toHaveLength(1);
    expect(calls.draining).toHaveLength(2);
    expect(calls.draining[1]).toBeLessThanOrEqual(0.6 * 2_050);
    drained();
    await expect(stopped).resolves.toBeUndefined();
  });
});
