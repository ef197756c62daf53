/**
 * The OTLP receiver in front of a scripted consumer: what each pipeline
 * outcome becomes on the wire (a sender drops a request answered 400 /
 * INVALID_ARGUMENT, so only data errors may get it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtelAuditError, WalDiskFullError, WalQueueFullError } from '../../src/errors.ts';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import { PermanentError, type LogBatch, type LogsConsumer } from '../../src/pipeline/consumer.ts';
import { KeyNotFoundError, KeyStoreCorruptError } from '../../src/privacy/errors.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { otlpConfigSchema } from './config.ts';
import { OtlpReceiver } from './OtlpReceiver.ts';
import { exportRaw } from '../../test/helpers/rawOtlpGrpc.ts';
import { loopbackReceiverWithAuth } from './testing/loopbackReceiver.ts';

class ScriptedConsumer implements LogsConsumer {
  failWith: unknown = undefined;
  readonly stored: LogBatch[] = [];

  consumeLogs(batch: LogBatch): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.stored.push(batch);
    return Promise.resolve();
  }
}

const consumer = new ScriptedConsumer();
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const receiver = new OtlpReceiver(
  { id: 'otlp', baseDir: process.cwd(), logger: silent },
  otlpConfigSchema.parse({
    protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } },
  }),
  consumer,
);
beforeAll(() => receiver.start());
afterAll(() => receiver.shutdown(5_000));

const body = Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'r' })]));

async function postStatus(): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`http://${receiver.endpoints.http}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body,
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

async function exportCode(): Promise<number> {
  return (await exportRaw(receiver.endpoints.grpc ?? '', body))?.code ?? grpc.status.OK;
}

describe('pipeline outcome → OTLP status', () => {
  const cases: Array<[string, unknown, number, grpc.status]> = [
    ['durable', undefined, 200, grpc.status.OK],
    ['a PermanentError (the data)', new PermanentError('record refused'), 400, grpc.status.INVALID_ARGUMENT],
    ['WAL queue full', new WalQueueFullError('full'), 429, grpc.status.RESOURCE_EXHAUSTED],
    ['disk full', new WalDiskFullError('ENOSPC'), 503, grpc.status.UNAVAILABLE],
    // Typed, not retryable, but not the data's fault: the sender must keep the records.
    ['a corrupt key store', new KeyStoreCorruptError('bad file'), 503, grpc.status.UNAVAILABLE],
    ['a missing master key', new KeyNotFoundError('master key m2'), 503, grpc.status.UNAVAILABLE],
    ['a component not started', new OtelAuditError('LIFECYCLE', 'not started'), 503, grpc.status.UNAVAILABLE],
    ['an assertion failure', new OtelAuditError('INTERNAL', 'bug'), 503, grpc.status.UNAVAILABLE],
    ['an untyped exception', new TypeError('bug'), 503, grpc.status.UNAVAILABLE],
  ];
  for (const [name, failWith, httpStatus, grpcCode] of cases) {
    it(`${name} → ${httpStatus} / ${grpc.status[grpcCode]}`, async () => {
      consumer.failWith = failWith;
      const http = await postStatus();
      expect(http.status).toBe(httpStatus);
      if (httpStatus === 429 || httpStatus === 503) expect(Number(http.retryAfter)).toBeGreaterThan(0);
      expect(await exportCode()).toBe(grpcCode);
    });
  }
});

describe('audit.client.address over a unix socket', () => {
  it('is "unix" on OTLP/gRPC, as on OTLP/HTTP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otlp-unix-'));
    const sink = new ScriptedConsumer();
    const r = new OtlpReceiver(
      { id: 'otlp', baseDir: dir, logger: silent },
      otlpConfigSchema.parse({
        protocols: { grpc: { endpoint: path.join(dir, 'g.sock'), transport: 'unix' } },
      }),
      sink,
    );
    await r.start();
    try {
      const err = await exportRaw(`unix:${path.join(dir, 'g.sock')}`, body);
      expect(err).toBeNull();
      expect(sink.stored[0]?.client?.address).toBe('unix');
      const attr = sink.stored[0]?.records[0]?.attributes.find((kv) => kv.key === 'audit.client.address');
      expect(attr?.value).toBe('unix');
    } finally {
      await r.shutdown(5_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an authenticator that throws', () => {
  it('answers the gRPC call UNAVAILABLE (and HTTP 503) instead of leaving it unanswered', async () => {
    const sink = new ScriptedConsumer();
    const throwing = {
      start: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
      authenticate: (): never => {
        throw new Error('token store unreachable');
      },
    };
    const r = loopbackReceiverWithAuth(throwing, sink);
    await r.start();
    try {
      const code = (await exportRaw(r.endpoints.grpc ?? '', body, { deadlineMs: 5_000 }))?.code;
      expect(code).toBe(grpc.status.UNAVAILABLE);
      const res = await fetch(`http://${r.endpoints.http}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body,
      });
      await res.arrayBuffer();
      expect(res.status).toBe(503);
      expect(sink.stored).toEqual([]);
    } finally {
      await r.shutdown(5_000);
    }
  });
});

describe('inflightStats(): the OTLP/gRPC budget of request bytes in flight', () => {
  const MIB = 1024 * 1024;
  it('gives the limits, what is reserved, the peak and the refusals, as a frozen snapshot', async () => {
    const before = receiver.inflightStats();
    expect(before).toMatchObject({
      limitBytes: 128 * MIB,
      connectionLimitBytes: 32 * MIB,
      refusedCalls: 0,
      connectionRefusedCalls: 0,
      unauthenticatedCalls: 0,
    });
    consumer.failWith = undefined;
    expect(await exportCode()).toBe(grpc.status.OK);
    const after = receiver.inflightStats();
    expect(after?.reservedBytes).toBe(0);
    // at least the window and the message (its chunks and grpc-js's copy), while the call was open
    expect(after?.peakBytes).toBeGreaterThanOrEqual(1024 * 1024 + 2 * (5 + body.length));
    expect(Object.isFrozen(after)).toBe(true);
    expect(() => {
      (after as { reservedBytes: number }).reservedBytes = 1;
    }).toThrow(TypeError);
    expect(receiver.inflightStats()?.reservedBytes).toBe(0);
  });

  it('undefined before start, without gRPC, or with max_inflight_bytes_mib: 0', async () => {
    const make = (protocols: Record<string, unknown>): OtlpReceiver =>
      new OtlpReceiver(
        { id: 'otlp', baseDir: process.cwd(), logger: silent },
        otlpConfigSchema.parse({ protocols }),
        consumer,
      );
    const notStarted = make({ grpc: { endpoint: '127.0.0.1:0' } });
    expect(notStarted.inflightStats()).toBeUndefined();
    for (const protocols of [
      { http: { endpoint: '127.0.0.1:0' } },
      { grpc: { endpoint: '127.0.0.1:0', max_inflight_bytes_mib: 0 } },
    ]) {
      const r = make(protocols);
      await r.start();
      try {
        expect(r.inflightStats()).toBeUndefined();
      } finally {
        await r.shutdown(5_000);
      }
    }
  });
});
