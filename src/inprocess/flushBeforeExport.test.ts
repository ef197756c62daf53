import type { ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import type { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import { OtelAuditError } from '../errors.ts';
import type { LogBatch } from '../pipeline/consumer.ts';
import type { LogsExporter } from '../pipeline/factories.ts';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { AuditWriteFailedError } from './AuditWriteFailedError.ts';
import { SdkWalWriter } from './SdkWalWriter.ts';

/** Pending work (as audit_encrypt's new keys) that the test settles by hand; `pend()` as process() would. */
class PendingWork implements RecordProcessor {
  readonly mutates = false;
  private pending = false;
  private settles: Array<(err?: Error) => void> = [];
  private readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  process = (): boolean => true;
  pend(): void {
    this.pending = true;
  }
  flushBeforeExport(): Promise<void> | undefined {
    if (!this.pending) return undefined;
    this.pending = false;
    this.log.push('flush');
    return new Promise<void>((resolve, reject) =>
      this.settles.push((err) => (err ? reject(err) : resolve())),
    );
  }
  flushBeforeExportSync(): void {
    this.log.push(this.pending ? 'flush sync' : 'flush sync (nothing)');
    this.pending = false;
  }
  finish(err?: Error): void {
    for (const s of this.settles.splice(0)) s(err);
  }
}

class LoggingWal {
  private readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  consumeLogs(batch: LogBatch): Promise<void> {
    this.log.push(`export ${batch.records.map((r) => String(r.body)).join(',')}`);
    return Promise.resolve();
  }
  writeSync(record: AuditRecord): void {
    this.log.push(`writeSync ${String(record.body)}`);
  }
}

function writer(log: string[], processor: RecordProcessor, strict = false): SdkWalWriter {
  const wal = new LoggingWal(log) as unknown as AuditWalExporter;
  return new SdkWalWriter({
    exporters: [wal as unknown as LogsExporter],
    processors: [processor],
    strictWal: strict ? [wal] : undefined,
    dropped: new WeakSet<ReadWriteLogRecord>(),
    onFailure: 'error',
    failureHandler: undefined,
    shutdown: () => Promise.resolve(),
  });
}

const record = (body: string): AuditRecord => createAuditRecord({ body });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

/** A writer whose first batch (record 'a') is handed down and waits for its processor's flush. */
async function firstBatchWaiting(): Promise<{
  log: string[];
  p: PendingWork;
  w: SdkWalWriter;
  durable: Promise<void>;
}> {
  const log: string[] = [];
  const p = new PendingWork(log);
  const w = writer(log, p);
  p.pend();
  const durable = w.write(record('a'));
  await tick();
  return { log, p, w, durable };
}

describe('SdkWalWriter: RecordProcessor.flushBeforeExport', () => {
  it('a batch reaches the WAL only once its processors pending work is done', async () => {
    const { log, p, durable } = await firstBatchWaiting();
    expect(log).toEqual(['flush']);
    p.finish();
    await durable;
    expect(log).toEqual(['flush', 'export a']);
  });

  it('a failed flush fails the batch (forceFlush rejects) and the WAL gets nothing of it', async () => {
    const { log, p, w, durable } = await firstBatchWaiting();
    p.finish(new OtelAuditError('KEY_STORE_IO', 'fsync failed', { retryable: true }));
    await expect(durable).rejects.toThrow('fsync failed');
    await expect(w.forceFlush()).rejects.toBeInstanceOf(AuditWriteFailedError);
    expect(log).toEqual(['flush']);
  });

  it('a later batch with nothing pending waits its turn: records reach the WAL in emit order', async () => {
    const { log, p, w, durable: first } = await firstBatchWaiting();
    const second = w.write(record('b'));
    await tick();
    expect(log).toEqual(['flush']);
    p.finish();
    await Promise.all([first, second]);
    expect(log).toEqual(['flush', 'export a', 'export b']);
  });

  it('a failed flush fails only its batch: the batch held behind it goes down after it', async () => {
    const { log, p, w, durable: first } = await firstBatchWaiting();
    const second = w.write(record('b')); // nothing pending of its own: held only for its turn
    await tick();
    expect(log).toEqual(['flush']);
    p.finish(new OtelAuditError('KEY_STORE_IO', 'fsync failed', { retryable: true }));
    await expect(first).rejects.toMatchObject({ code: 'KEY_STORE_IO' });
    await second;
    expect(log).toEqual(['flush', 'export b']);
    await expect(w.forceFlush()).rejects.toBeInstanceOf(AuditWriteFailedError);
  });

  it('durability strict: the blocking flush runs before each synchronous write', async () => {
    const log: string[] = [];
    const p = new PendingWork(log);
    const w = writer(log, p, true);
    p.pend();
    await w.write(record('a'));
    await w.write(record('b'));
    expect(log).toEqual(['flush sync', 'writeSync a', 'flush sync (nothing)', 'writeSync b']);
  });
});
