import { LoggerProvider, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it, vi } from 'vitest';
import type { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import { OtelAuditError } from '../errors.ts';
import { PermanentError, type LogBatch } from '../pipeline/consumer.ts';
import { ExporterFailedError } from '../pipeline/ExporterFailedError.ts';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { RecordsRejectedError } from '../pipeline/RecordsRejectedError.ts';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { BATCH_RECORDS_MAX, SdkWalWriter, type FailureHandler, type FailurePolicy } from './SdkWalWriter.ts';

/**
 * An audit_wal exporter in memory: appends are queued until a synchronous write commits them with
 * its record; the synchronous write fails (ENOSPC) when `full` is set, failing everything queued.
 */
class MemoryWalExporter {
  durable: string[] = [];
  full = false;
  private queued: Array<{ bodies: string[]; settle: (err?: unknown) => void }> = [];
  private queuedRecords = 0;
  private queuedBytes = 0;
  readonly wal = { status: () => ({ queuedRecords: this.queuedRecords, queuedBytes: this.queuedBytes }) };

  consumeLogs(batch: LogBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({
        bodies: batch.records.map((r) => String(r.body)),
        settle: (err) => (err === undefined ? resolve() : reject(err)),
      });
      this.queuedRecords += batch.records.length;
      for (const r of batch.records) this.queuedBytes += String(r.body).length;
    });
  }

  writeSync(record: AuditRecord): void {
    const queued = this.queued;
    this.queued = [];
    this.queuedRecords = 0;
    this.queuedBytes = 0;
    const err = this.full
      ? Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      : undefined;
    for (const q of queued) {
      if (!err) this.durable.push(...q.bodies);
      q.settle(err);
    }
    if (err) throw err;
    this.durable.push(String(record.body));
  }
}

function writerFor(
  exporter: MemoryWalExporter,
  onFailure: FailurePolicy,
  failureHandler?: FailureHandler,
  processors: readonly RecordProcessor[] = [],
  bounds: { pendingRecordsMax?: number; pendingBytesMax?: number; recordBytesMax?: number } = {},
): { writer: SdkWalWriter; emit: (body: string) => void } {
  const wal = exporter as unknown as AuditWalExporter;
  const writer = new SdkWalWriter({
    exporters: [wal],
    processors,
    strictWal: undefined,
    dropped: new WeakSet<ReadWriteLogRecord>(),
    onFailure,
    failureHandler,
    shutdown: () => Promise.resolve(),
    blocking: { wals: [wal], pendingRecordsMax: BATCH_RECORDS_MAX, ...bounds },
  });
  const logger = new LoggerProvider({ processors: [writer] }).getLogger('t');
  return { writer, emit: (body) => logger.emit({ body }) };
}

/**
 * A processor with work pending before its first batch (as audit_encrypt's new key) whose async flush
 * never settles (a producer that never yields never lets it); its blocking flush logs to `log`.
 */
function neverSettlingKeys(log: string[]): RecordProcessor {
  let pending = true;
  return {
    mutates: false,
    process: () => true,
    flushBeforeExport: () => (pending ? new Promise<void>(() => undefined) : undefined),
    flushBeforeExportSync: () => {
      log.push(pending ? 'flush sync' : 'flush sync (nothing)');
      pending = false;
    },
  };
}

describe('SdkWalWriter: the synchronous commit of a producer that never yields', () => {
  it('commits at the bound, in emit order', () => {
    const exporter = new MemoryWalExporter();
    const { emit } = writerFor(exporter, 'error');
    const n = 2 * BATCH_RECORDS_MAX;
    for (let i = 0; i < n; i++) emit(`r${i}`);
    expect(exporter.durable).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it('batches held for their processors flush (new keys) count too: the commit hands them down, in order', async () => {
    // A processor with work pending before its first batch (as audit_encrypt's new key): its async
    // flush can settle only when the event loop runs, which a producer that never yields never lets.
    const log: string[] = [];
    const keys = neverSettlingKeys(log);
    const exporter = new MemoryWalExporter();
    const { writer, emit } = writerFor(exporter, 'error', undefined, [keys]);
    const n = 3 * BATCH_RECORDS_MAX;
    for (let i = 0; i < n; i++) emit(`r${i}`);
    // Without the held batches counted, every batch waited in memory for the flush (nothing durable).
    expect(log[0]).toBe('flush sync');
    expect(exporter.durable.length).toBeGreaterThanOrEqual(2 * BATCH_RECORDS_MAX);
    expect(exporter.durable).toEqual(Array.from({ length: exporter.durable.length }, (_, i) => `r${i}`));
    emit('last');
    const flushed = writer.forceFlush(); // hands 'last' down
    exporter.writeSync(createAuditRecord({ body: 'end' })); // commits everything queued
    await flushed;
    expect(exporter.durable).toEqual([...Array.from({ length: n }, (_, i) => `r${i}`), 'last', 'end']);
  });

  it('the bytes of held batches count toward the byte bound: large records do not pile up in memory', () => {
    // A new data key whose async flush never settles while the producer does not yield; records of
    // 16 KiB: 3 batches are 48 MiB. The record bound (100,000) is far away; the byte bound is 1 MiB.
    const log: string[] = [];
    const keys = neverSettlingKeys(log);
    const exporter = new MemoryWalExporter();
    const { emit } = writerFor(exporter, 'error', undefined, [keys], {
      pendingRecordsMax: 100_000,
      pendingBytesMax: 1024 * 1024,
      recordBytesMax: 64 * 1024,
    });
    const body = (i: number): string => `r${i}:`.padEnd(16 * 1024, 'x');
    const n = 3 * BATCH_RECORDS_MAX;
    for (let i = 0; i < n; i++) emit(body(i));
    // Without the held bytes counted, all 3,072 records (48 MiB) waited in memory, none durable.
    expect(log[0]).toBe('flush sync');
    expect(exporter.durable.length).toBeGreaterThanOrEqual(BATCH_RECORDS_MAX);
    expect(exporter.durable).toEqual(Array.from({ length: exporter.durable.length }, (_, i) => body(i)));
  });

  it('on_failure error: when the commit of the record being emitted fails, that emit says so (not "accepted")', async () => {
    const exporter = new MemoryWalExporter();
    const { writer, emit } = writerFor(exporter, 'error');
    const n = 2 * BATCH_RECORDS_MAX;
    for (let i = 0; i < n - 1; i++) emit(`r${i}`);
    exporter.full = true;
    let thrown: unknown;
    try {
      emit(`r${n - 1}`); // hands down the second batch: its last record, this one, is written synchronously
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect((thrown as Error).message).not.toMatch(/this one was accepted/);
    expect((thrown as Error).message).toMatch(/this audit record could not be made durable/);
    expect(exporter.durable).toEqual([]);
    await expect(writer.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
  });

  it('on_failure callback: a handler that throws neither leaves write() pending nor loses the report', async () => {
    const exporter = new MemoryWalExporter();
    const seen: string[] = [];
    const { writer, emit } = writerFor(exporter, 'callback', (_err, record) => {
      seen.push(String(record.body));
      throw new Error('handler bug');
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (let i = 0; i < BATCH_RECORDS_MAX; i++) emit(`r${i}`);
    exporter.full = true;
    const pending = writer.write(createAuditRecord({ body: 'w' }));
    for (let i = 0; i < BATCH_RECORDS_MAX - 1; i++) emit(`s${i}`);
    await expect(pending).rejects.toThrow(/ENOSPC/);
    await expect(writer.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(seen).toHaveLength(2 * BATCH_RECORDS_MAX);
    expect(stderr).toHaveBeenCalledTimes(2 * BATCH_RECORDS_MAX);
    stderr.mockRestore();
  });
});

describe('SdkWalWriter: several exporters', () => {
  it('a record is not called durable when one exporter refused it alone and another refused the whole batch', async () => {
    const partial = {
      consumeLogs: (batch: LogBatch) =>
        batch.records.length > 1
          ? Promise.reject(
              new RecordsRejectedError({
                rejected: [{ index: 1, error: new PermanentError('too large') }],
                acceptedCount: batch.records.length - 1,
              }),
            )
          : Promise.resolve(),
    };
    const refusing = { consumeLogs: () => Promise.reject(new PermanentError('refused')) };
    const writer = new SdkWalWriter({
      exporters: [partial, refusing] as unknown as AuditWalExporter[],
      strictWal: undefined,
      dropped: new WeakSet<ReadWriteLogRecord>(),
      onFailure: 'callback',
      failureHandler: () => undefined,
      shutdown: () => Promise.resolve(),
    });
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((body) => writer.write(createAuditRecord({ body }))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });
});

describe('SdkWalWriter: an exporter that refuses the whole batch permanently', () => {
  /** An exporter that refuses every batch with `error` (or, given `bad`, only batches holding that body); counts its calls. */
  function refusing(
    error: Error,
    bad?: string,
  ): { calls: number[]; consumeLogs(batch: LogBatch): Promise<void> } {
    const calls: number[] = [];
    return {
      calls,
      consumeLogs: (batch: LogBatch) => {
        calls.push(batch.records.length);
        const refuse = bad === undefined || batch.records.some((r) => r.body === bad);
        return refuse ? Promise.reject(error) : Promise.resolve();
      },
    };
  }

  function writerOver(exporters: readonly unknown[], seen: unknown[]): SdkWalWriter {
    return new SdkWalWriter({
      exporters: exporters as AuditWalExporter[],
      strictWal: undefined,
      dropped: new WeakSet<ReadWriteLogRecord>(),
      onFailure: 'callback',
      failureHandler: (err) => seen.push(err),
      shutdown: () => Promise.resolve(),
    });
  }

  const bodies = ['a', 'b', 'c', 'd'];

  it('not for its data (a lifecycle error, a bug): every record fails with that error, none is sent again', async () => {
    for (const error of [
      new OtelAuditError('LIFECYCLE', 'exporter closed'),
      new ExporterFailedError({ exporterId: 'x', cause: new Error('boom') }),
    ]) {
      const exporter = refusing(error);
      const seen: unknown[] = [];
      const writer = writerOver([exporter], seen);
      const outcomes = await Promise.allSettled(
        bodies.map((body) => writer.write(createAuditRecord({ body }))),
      );
      expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : 'durable'))).toEqual(
        bodies.map(() => error),
      );
      // Old code: the batch of 4, then each record again on its own.
      expect(exporter.calls).toEqual([4]);
      expect(seen).toEqual(bodies.map(() => error));
    }
  });

  it('for its data: the records are sent again one by one, so only the record at fault fails', async () => {
    const error = new PermanentError('record c is invalid');
    const exporter = refusing(error, 'c');
    const seen: unknown[] = [];
    const writer = writerOver([exporter], seen);
    const outcomes = await Promise.allSettled(
      bodies.map((body) => writer.write(createAuditRecord({ body }))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(exporter.calls).toEqual([4, 1, 1, 1, 1]);
    expect(seen).toEqual([error]);
  });

  it('several exporters: one refusing for the data, one not: nothing is resent; records refused on their own keep their reason', async () => {
    const own = new PermanentError('b is too large');
    const partial = {
      calls: [] as number[],
      consumeLogs(batch: LogBatch): Promise<void> {
        this.calls.push(batch.records.length);
        return Promise.reject(
          new RecordsRejectedError({
            rejected: [{ index: 1, error: own }],
            acceptedCount: batch.records.length - 1,
          }),
        );
      },
    };
    const dataRefusal = refusing(new PermanentError('bad batch'));
    const lifecycle = new OtelAuditError('LIFECYCLE', 'exporter not started');
    const closed = refusing(lifecycle);
    const seen: unknown[] = [];
    const writer = writerOver([partial, dataRefusal, closed], seen);
    const outcomes = await Promise.allSettled(
      bodies.map((body) => writer.write(createAuditRecord({ body }))),
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : 'durable'))).toEqual([
      lifecycle,
      own,
      lifecycle,
      lifecycle,
    ]);
    expect([partial.calls, dataRefusal.calls, closed.calls]).toEqual([[4], [4], [4]]);
    expect(seen).toHaveLength(4);
  });
});
