/**
 * The receiver's memory bounds: the per-request element budget
 * (`limits::max_elements_per_request`), on both protocols.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBatch, LogsConsumer } from '../src/pipeline/consumer.ts';
import { otlpConfigSchema } from '../receivers/otlp/config.ts';
import { OtlpReceiver } from '../receivers/otlp/OtlpReceiver.ts';
import { exportRaw } from './helpers/rawOtlpGrpc.ts';

class CountingConsumer implements LogsConsumer {
  batches = 0;
  consumeLogs(_batch: LogBatch): Promise<void> {
    this.batches++;
    return Promise.resolve();
  }
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function start(config: unknown): { receiver: OtlpReceiver; consumer: CountingConsumer } {
  const consumer = new CountingConsumer();
  const receiver = new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse(config),
    consumer,
  );
  return { receiver, consumer };
}

/** `n` empty `resourceLogs` entries: 2 bytes each on the wire. */
function emptyResourceLogs(n: number): Buffer {
  const bytes = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) bytes[2 * i] = 0x0a;
  return bytes;
}

async function post(endpoint: string | undefined, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${endpoint ?? ''}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body,
  });
  return { status: res.status, text: Buffer.from(await res.arrayBuffer()).toString('latin1') };
}

describe('limits::max_elements_per_request', () => {
  const small = start({
    protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } },
    limits: { max_elements_per_request: 1000 },
  });
  const defaults = start({ protocols: { http: { endpoint: '127.0.0.1:0' } } });
  beforeAll(async () => {
    await small.receiver.start();
    await defaults.receiver.start();
  });
  afterAll(async () => {
    await small.receiver.shutdown(5_000);
    await defaults.receiver.shutdown(5_000);
  });

  it('defaults to 2 Mi elements', () => {
    expect(otlpConfigSchema.parse({ protocols: { http: null } }).limits.max_elements_per_request).toBe(
      2_097_152,
    );
  });

  it('refuses a request over the budget with 400 / INVALID_ARGUMENT naming the setting', async () => {
    const over = emptyResourceLogs(1001);
    const r = await post(small.receiver.endpoints.http, over);
    expect(r.status).toBe(400);
    expect(r.text).toContain('too many elements (messages) (limit elementCountMax = 1000)');
    expect(r.text).toContain('limits::max_elements_per_request');
    const err = await exportRaw(small.receiver.endpoints.grpc ?? '', over);
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/resourceLogs\[1000\]: too many elements.*limits::max_elements_per_request/);
    expect((await post(small.receiver.endpoints.http, emptyResourceLogs(1000))).status).toBe(200);
  });

  it('refuses 20 MiB of empty resourceLogs under the defaults without building them (was ~1 GB of heap)', async () => {
    const body = emptyResourceLogs(10 * 1024 * 1024 - 8);
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 5);
    try {
      const r = await post(defaults.receiver.endpoints.http, body);
      expect(r.status).toBe(400);
      expect(r.text).toContain('limit elementCountMax = 2097152');
    } finally {
      clearInterval(sampler);
    }
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    // the 20 MiB body is a Buffer (outside the JS heap); decoding 10 Mi entries took ~1 GB of it
    expect(heapPeak - heapBefore).toBeLessThan(200 * 1024 * 1024);
    expect(defaults.consumer.batches).toBe(0);
  });
});
