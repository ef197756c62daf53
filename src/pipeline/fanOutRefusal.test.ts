/**
 * One receiver feeding several exporters / pipelines: when one refuses a batch whole while another
 * stored it, the answer is the refusal that lets the sender keep the records (retryable); 400 only for
 * the data itself. An untyped exporter failure is a typed, non-retryable INTERNAL error naming the
 * exporter.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import { createDefaultAuditWalConfig } from '../../exporters/audit_wal/config.ts';
import { mapPipelineError } from '../../receivers/otlp/errorMapping.ts';
import { exportRaw } from '../../test/helpers/rawOtlpGrpc.ts';
import {
  quietLogger as quiet,
  startService,
  walRecords,
  type RunningService,
} from '../../test/helpers/startService.ts';
import { encodeOtlpLogsProtobuf } from '../otlp/protobufCodec.ts';
import { OtelAuditError } from '../errors.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { isRetryable, PermanentError, type LogBatch } from './consumer.ts';
import { ExporterFailedError } from './ExporterFailedError.ts';
import type { LogsExporter } from './factories.ts';
import { FanOutConsumer, PipelineConsumer } from './PipelineConsumer.ts';
import { RecordsRejectedError } from './RecordsRejectedError.ts';
import { rejection } from '../../test/helpers/rejection.ts';

const tmp = makeTempDir('otel-audit-fanout-');
afterAll(() => tmp.cleanup());

function post(s: RunningService, body: string): Promise<Response> {
  const logRecords = [{ body: { stringValue: body } }];
  return fetch(s.logsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }),
  });
}

const bodies = (dir: string): unknown[] => walRecords(dir).map((r) => r.body);

/** A service whose OTLP/HTTP receiver feeds audit_wal/a and audit_wal/b, in one pipeline or two. */
function twoWals(dir: string, aOptions: string, pipelines: 'one' | 'two'): string {
  const service =
    pipelines === 'one'
      ? 'logs: { receivers: [otlp], exporters: [audit_wal/a, audit_wal/b] }'
      : `logs/a: { receivers: [otlp], exporters: [audit_wal/a] }
    logs/b: { receivers: [otlp], exporters: [audit_wal/b] }`;
  return `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal/a: { directory: ${dir}/a${aOptions} }
  audit_wal/b: { directory: ${dir}/b }
service:
  pipelines:
    ${service}
`;
}

describe('fan-out to two real audit_wal exporters, one refusing the batch whole', () => {
  it('one at its queue bound: 429 + Retry-After; the retry stores the record again where it was stored', async () => {
    const dir = `${tmp.dir}/bound`;
    // audit_wal/a keeps one record queued for 5 s (its commit delay; ample on a loaded machine) and refuses what does not fit.
    const s = await startService(
      twoWals(dir, ', commit_delay_ms: 5000, queue_records_max: 1, when_queue_full: reject', 'one'),
    );
    try {
      const first = post(s, 'first');
      const a = s.service.exporters.get('audit_wal/a') as AuditWalExporter;
      for (let i = 0; i < 400 && a.wal.status().queuedRecords === 0; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(a.wal.status().queuedRecords).toBe(1);
      const refused = await post(s, 'x');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 8 }); // RESOURCE_EXHAUSTED
      expect((await first).status).toBe(200);
      expect((await post(s, 'x')).status).toBe(200); // the sender's retry, once a has room
    } finally {
      await s.stop();
    }
    expect(bodies(`${dir}/a`)).toEqual(['first', 'x']);
    expect(bodies(`${dir}/b`)).toEqual(['first', 'x', 'x']); // at-least-once: stored twice in b
  });

  for (const pipelines of ['one', 'two'] as const) {
    it(`one shut down (${pipelines} pipeline(s)): 503 + Retry-After, gRPC UNAVAILABLE + RetryInfo; the other stored the records`, async () => {
      const dir = `${tmp.dir}/down-${pipelines}`;
      const s = await startService(twoWals(dir, '', pipelines));
      try {
        await s.service.exporters.get('audit_wal/a')?.shutdown();
        const refused = await post(s, 'x');
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect(await refused.json()).toMatchObject({ code: 14 }); // UNAVAILABLE
        const grpcBody = encodeOtlpLogsProtobuf([createAuditRecord({ body: 'g' })]);
        const grpcRefused = await exportRaw(s.grpcUrl, grpcBody);
        expect(grpcRefused?.code).toBe(grpc.status.UNAVAILABLE);
        expect(grpcRefused?.metadata.get('grpc-status-details-bin')).toHaveLength(1); // RetryInfo
      } finally {
        await s.stop();
      }
      expect(bodies(`${dir}/a`)).toEqual([]);
      expect(bodies(`${dir}/b`)).toEqual(['x', 'g']);
    });
  }
});

class StoringExporter implements LogsExporter {
  readonly bodies: unknown[] = [];
  start = (): Promise<void> => Promise.resolve();
  shutdown = (): Promise<void> => Promise.resolve();
  consumeLogs(batch: LogBatch): Promise<void> {
    for (const r of batch.records) this.bodies.push(r.body);
    return Promise.resolve();
  }
}

/** An exporter whose every write fails with `make()`. */
const failing = (make: () => unknown): LogsExporter => ({
  start: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  consumeLogs: () => Promise.reject(make()),
});

const batch = (): LogBatch => ({
  records: [createAuditRecord({ body: 'a' }), createAuditRecord({ body: 'b' })],
});

describe('settleAll: which refusal answers the sender', () => {
  it("a service error (a real exporter not started) wins over another exporter's data refusal listed first", async () => {
    const notStarted = new AuditWalExporter(
      { id: 'audit_wal/a', baseDir: tmp.dir, logger: quiet },
      { ...createDefaultAuditWalConfig(), directory: 'never-started' },
    );
    const tooLarge = failing(() => new PermanentError('batch over the limit'));
    const pipeline = new PipelineConsumer('logs', [], [tooLarge, notStarted]);
    const err = await rejection(pipeline.consumeLogs(batch()));
    expect(err).toMatchObject({ code: 'LIFECYCLE' });
    expect(mapPipelineError(err).httpStatus).toBe(503); // was PIPELINE_PERMANENT: 400, the sender dropped it
  });

  it('the same over two pipelines (FanOutConsumer)', async () => {
    const fanOut = new FanOutConsumer([
      new PipelineConsumer('logs/a', [], [failing(() => new PermanentError('refused'))]),
      new PipelineConsumer('logs/b', [], [failing(() => new OtelAuditError('KEY_STORE_CORRUPT', 'corrupt'))]),
    ]);
    expect(await rejection(fanOut.consumeLogs(batch()))).toMatchObject({ code: 'KEY_STORE_CORRUPT' });
  });

  it('a retryable refusal still wins over everything; a data refusal over records refused alone', async () => {
    const retry = new OtelAuditError('WAL_QUEUE_FULL', 'full', { retryable: true });
    const partial = new RecordsRejectedError({
      rejected: [{ index: 0, error: new PermanentError('no') }],
      acceptedCount: 1,
    });
    const all = (errs: unknown[]): Promise<unknown> =>
      rejection(
        new PipelineConsumer(
          'p',
          [],
          errs.map((e) => failing(() => e)),
        ).consumeLogs(batch()),
      );
    const internal = new OtelAuditError('INTERNAL', 'assertion failed');
    expect(await all([partial, new PermanentError('data'), internal, retry])).toBe(retry);
    expect(await all([new PermanentError('data'), internal])).toBe(internal);
    expect(await all([partial, new PermanentError('data')])).toMatchObject({ code: 'PIPELINE_PERMANENT' });
    expect(await all([new PermanentError('data'), partial])).toMatchObject({ code: 'PIPELINE_PERMANENT' });
  });
});

describe('an untyped exporter failure', () => {
  it('is an ExporterFailedError (INTERNAL, not retryable) naming the exporter, alone or in a fan-out', async () => {
    const stored = new StoringExporter();
    const bug = failing(() => new TypeError("Cannot read properties of undefined (reading 'x')"));
    for (const exporters of [[bug], [stored, bug]]) {
      const pipeline = new PipelineConsumer(
        'logs',
        [],
        exporters,
        [],
        exporters.length === 1 ? ['buggy'] : ['ok', 'buggy'],
      );
      const err = await rejection(pipeline.consumeLogs(batch()));
      expect(err).toBeInstanceOf(ExporterFailedError);
      expect(err).toMatchObject({ code: 'INTERNAL', retryable: false, exporterId: 'buggy' });
      expect(isRetryable(err)).toBe(false); // a failure that happens every time is not resent for ever
      expect((err as Error).message).toMatch(/exporter "buggy" failed.*TypeError: Cannot read/);
      expect((err as Error).cause).toBeInstanceOf(TypeError);
    }
    expect(stored.bodies).toEqual(['a', 'b']);
  });

  it('loses to a retryable refusal and to a service error, wins over a data refusal', async () => {
    const bug = failing(() => new Error('bug'));
    const run = (other: unknown): Promise<unknown> =>
      rejection(
        new PipelineConsumer('p', [], [bug, failing(() => other)], [], ['bug', 'other']).consumeLogs(batch()),
      );
    expect(await run(new OtelAuditError('WAL_CLOSED', 'closed', { retryable: true }))).toMatchObject({
      code: 'WAL_CLOSED',
    });
    expect(await run(new OtelAuditError('LIFECYCLE', 'not started'))).toMatchObject({ code: 'LIFECYCLE' });
    expect(await run(new PermanentError('data'))).toBeInstanceOf(ExporterFailedError);
  });

  it('typed errors keep their own code', async () => {
    const typed = new OtelAuditError('WAL_IO', 'io', { retryable: true });
    const bugs: ExporterFailedError[] = [];
    const pipeline = new PipelineConsumer('p', [], [failing(() => typed)], [], ['w'], (e) => bugs.push(e));
    expect(await rejection(pipeline.consumeLogs(batch()))).toBe(typed);
    expect(bugs).toEqual([]); // not a bug: not reported as one
  });

  it('is reported to the service (logged), alone or in a fan-out, once per failure', async () => {
    const bug = failing(() => new TypeError('boom'));
    for (const exporters of [[bug], [new StoringExporter(), bug]]) {
      const bugs: ExporterFailedError[] = [];
      const ids = exporters.length === 1 ? ['buggy'] : ['ok', 'buggy'];
      const pipeline = new PipelineConsumer('logs', [], exporters, [], ids, (e) => bugs.push(e));
      const err = await rejection(pipeline.consumeLogs(batch()));
      expect(bugs).toEqual([err]);
    }
  });
});
