/**
 * The last in-process `LogRecordProcessor`: converts the SDK record to an
 * `AuditRecord` and hands it to the pipeline's exporters.
 * - `durability: group_commit`: `onEmit` queues the record; it is durable at
 *   the next commit (milliseconds). `forceFlush()` resolves only when every
 *   record emitted before it is durable, and rejects if one failed.
 * - `durability: strict`: `onEmit` writes and syncs before returning.
 * - A failure is never silent: `on_failure: error` makes the next `onEmit`
 *   (and `forceFlush`) throw `AuditWriteFailedError`; `callback` calls the
 *   application's handler with the error and the record; `exit` prints the
 *   error and ends the process with status 70.
 */
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import type { LogsExporter } from '../pipeline/factories.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { fromSdkLogRecord } from '../record/fromSdkLogRecord.ts';
import { AuditWriteFailedError } from './AuditWriteFailedError.ts';

export type FailurePolicy = 'error' | 'callback' | 'exit';
export type FailureHandler = (error: Error, record: AuditRecord) => void;

export interface SdkWalWriterOptions {
  readonly exporters: readonly LogsExporter[];
  /** Set for `durability: strict`: the WAL exporters written synchronously. */
  readonly strictWal: readonly AuditWalExporter[] | undefined;
  readonly dropped: WeakSet<ReadWriteLogRecord>;
  readonly onFailure: FailurePolicy;
  readonly failureHandler: FailureHandler | undefined;
  readonly shutdown: () => Promise<void>;
}

export class SdkWalWriter implements LogRecordProcessor {
  private readonly o: SdkWalWriterOptions;
  private readonly outstanding = new Set<Promise<void>>();
  /** Failure not yet reported through onEmit (policy `error`). */
  private unreported: Error | undefined;
  /** Failures since the last forceFlush: it must not resolve as if they were durable. */
  private failedSinceFlush: Error | undefined;

  constructor(o: SdkWalWriterOptions) {
    this.o = o;
  }

  onEmit(sdkRecord: ReadWriteLogRecord): void {
    if (this.o.dropped.has(sdkRecord)) return;
    if (this.unreported && this.o.onFailure === 'error') {
      const f = this.unreported;
      this.unreported = undefined;
      // Each failure is reported once, by whichever comes first: this emit or a forceFlush.
      if (this.failedSinceFlush === f) this.failedSinceFlush = undefined;
      throw new AuditWriteFailedError(`an earlier audit record could not be made durable: ${f.message}`, f);
    }
    void this.write(fromSdkLogRecord(sdkRecord)).catch(() => undefined);
  }

  /** Writes a record (already processed); the promise resolves when it is durable. */
  write(record: AuditRecord): Promise<void> {
    if (this.o.strictWal) {
      try {
        for (const e of this.o.strictWal)
          e.writeSync(this.o.strictWal.length > 1 ? structuredClone(record) : record);
        return Promise.resolve();
      } catch (err) {
        this.fail(err, record);
        if (this.o.onFailure === 'error') {
          this.unreported = undefined;
          throw new AuditWriteFailedError(`audit record could not be made durable: ${String(err)}`, err);
        }
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    const batch = { records: [record] };
    const p = Promise.all(this.o.exporters.map((e) => e.consumeLogs(batch))).then(() => undefined);
    this.outstanding.add(p);
    p.then(
      () => this.outstanding.delete(p),
      (err: unknown) => {
        this.outstanding.delete(p);
        this.fail(err, record);
      },
    );
    return p;
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.outstanding]);
    const f = this.failedSinceFlush;
    this.failedSinceFlush = undefined;
    // Reported here: the next onEmit need not report it again.
    if (f && this.unreported === f) this.unreported = undefined;
    if (f)
      throw new AuditWriteFailedError(
        `audit records emitted before forceFlush could not be made durable: ${f.message}`,
        f,
      );
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.allSettled([...this.outstanding]);
    } finally {
      await this.o.shutdown();
    }
  }

  private fail(err: unknown, record: AuditRecord): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.failedSinceFlush = e;
    if (this.o.onFailure === 'error') this.unreported = e;
    else if (this.o.onFailure === 'callback') this.o.failureHandler?.(e, record);
    else {
      process.stderr.write(`otel-audit: an audit record could not be made durable, exiting: ${e.message}\n`);
      process.exit(70);
    }
  }
}
