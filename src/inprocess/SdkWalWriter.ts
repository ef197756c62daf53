/**
 * The last in-process `LogRecordProcessor`: converts the SDK record to an
 * `AuditRecord` and hands it to the pipeline's exporters.
 * - `durability: group_commit`: `onEmit` queues the record; it is durable at
 *   the next commit (milliseconds). `forceFlush()` resolves only when every
 *   record emitted before it is durable, and rejects if one failed.
 * - `durability: strict`: `onEmit` writes and syncs before returning.
 * - A failure is never silent: `on_failure: error` makes the next `onEmit`
 *   (after taking its own record) and `forceFlush` throw `AuditWriteFailedError`; `callback` calls the
 *   application's handler with the error and the record; `exit` prints the
 *   error and ends the process with status 70.
 * - `shutdown()` flushes first and, like `forceFlush()`, rejects when a
 *   record emitted before it could not be made durable.
 * - Bounded memory when the application never yields (`when_queue_full:
 *   block`, every exporter an `audit_wal`): the group commit runs only when
 *   the event loop does, so an emitting loop that never awaits would queue
 *   without end. When a batch is handed down while its WAL already holds
 *   `pendingRecordsMax` records (or `pendingBytesMax` bytes) not yet durable, the batch's last record is
 *   written with a synchronous commit instead (`writeSync`: everything
 *   queued, then one fdatasync): that emit blocks on the disk, as
 *   `durability: strict` does for every emit, and the queue is empty again.
 *   If the WAL did not accept the rest of the batch at once (its own queue
 *   bound made it wait, or an earlier batch still waits as below), the commit
 *   is not forced (it would jump ahead of the waiting records) and the WAL's
 *   own bound applies.
 * - What processed records depend on is durable before they reach an
 *   exporter (`RecordProcessor.flushBeforeExport`, e.g. `audit_encrypt`'s new
 *   data keys): a batch waits for it, and the batches after it wait their
 *   turn, so records reach the WAL in emit order; a failure there fails the
 *   batch like a retryable write failure. Synchronous writes (strict, the
 *   forced commit above) use the blocking `flushBeforeExportSync` first. The
 *   batches held back count toward `pendingRecordsMax`, and their bytes
 *   toward `pendingBytesMax`, like the WAL's queue: the forced commit's
 *   blocking flush releases them, in order, before its own records (a
 *   producer that never yields never runs the continuation that would
 *   release them otherwise).
 */
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import type { LogsExporter } from '../pipeline/factories.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { fromSdkLogRecord, type FromSdkLogRecordOptions } from '../record/fromSdkLogRecord.ts';
import { AuditWriteFailedError } from './AuditWriteFailedError.ts';
import { HeldBatches } from './internal/HeldBatches.ts';
import { isDataError, isRetryable } from '../pipeline/consumer.ts';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { flushBeforeExport, flushBeforeExportSync } from '../pipeline/runRecordProcessors.ts';
import { settleAll } from '../pipeline/PipelineConsumer.ts';
import { RecordsRejectedError } from '../pipeline/RecordsRejectedError.ts';

interface Settle {
  resolve(): void;
  reject(err: unknown): void;
}

/** Records handed down the pipeline in one batch at most (the rest go in the next one). */
export const BATCH_RECORDS_MAX = 1024;

/**
 * Default bound on records accepted by a WAL but not yet durable, past which an emit commits
 * synchronously (see the file comment). 16,384 records of ~0.5 KiB hold ~30 MB (AuditRecord plus
 * encoded frame); a tight loop of 100,000 emits without it peaked at ~600-700 MB RSS.
 */
export const PENDING_RECORDS_MAX = 16_384;

export type FailurePolicy = 'error' | 'callback' | 'exit';
export type FailureHandler = (error: Error, record: AuditRecord) => void;

export interface SdkWalWriterOptions {
  readonly exporters: readonly LogsExporter[];
  /** The pipeline's processors (already run on each record in `onEmit`): their `flushBeforeExport` runs before a batch goes down. */
  readonly processors?: readonly RecordProcessor[];
  /** Set for `durability: strict`: the WAL exporters written synchronously. */
  readonly strictWal: readonly AuditWalExporter[] | undefined;
  readonly dropped: WeakSet<ReadWriteLogRecord>;
  readonly onFailure: FailurePolicy;
  readonly failureHandler: FailureHandler | undefined;
  readonly shutdown: () => Promise<void>;
  /**
   * AnyValues and key-values one record may hold (`fromSdkLogRecord`'s `elementsMax`); more and
   * `onEmit` throws `RecordInvalidError` before copying the record. Give the WALs' largest
   * `payload_bytes_max`: every element takes at least a byte of payload, so nothing storable is refused,
   * and a value that shares its parts (`a = [b, b]`, …) costs bounded time and memory. Default
   * RECORD_ELEMENTS_CEILING.
   */
  readonly recordElementsMax?: number;
  /**
   * Set when a non-yielding producer must block (`when_queue_full: block`, group commit, every
   * exporter an `audit_wal`): the exporters, and the bound on records not yet durable in each WAL.
   */
  readonly blocking?: {
    readonly wals: readonly AuditWalExporter[];
    readonly pendingRecordsMax: number;
    /**
     * Bound on bytes queued in a WAL past which an emit commits synchronously (half the WAL's
     * `queue_bytes_max`, so the next batch still fits), and the largest frame a record can make:
     * without them, records of a few KiB reached the WAL's byte bound long before the record bound
     * and were refused with WAL_QUEUE_FULL although the policy is `block`.
     */
    readonly pendingBytesMax?: number;
    readonly recordBytesMax?: number;
  };
}

export class SdkWalWriter implements LogRecordProcessor {
  private readonly o: SdkWalWriterOptions;
  private readonly outstanding = new Set<Promise<void>>();
  private current: { records: AuditRecord[]; waiters: Map<number, Settle> } | undefined;
  /** Records handed down whose outcome is not known yet (an upper bound of what the WAL holds for us). */
  private unsettled = 0;
  /** Up to this many unsettled records, no WAL can be over either bound: no need to ask it. */
  private readonly unsettledSafe: number;
  /** Failure not yet reported through onEmit (policy `error`). */
  private unreported: Error | undefined;
  /** Failures since the last forceFlush: it must not resolve as if they were durable. */
  private failedSinceFlush: Error | undefined;
  /** A synchronous commit's failure, and the record it was writing (reported by that record's own emit). */
  private syncFailure: { readonly record: AuditRecord; readonly error: Error } | undefined;
  /** Batches waiting for what their records depend on (flushBeforeExport), or behind such a batch. */
  private readonly held: HeldBatches;
  private readonly processors: readonly RecordProcessor[];
  private readonly convertOptions: FromSdkLogRecordOptions;

  constructor(o: SdkWalWriterOptions) {
    this.o = o;
    this.processors = o.processors ?? [];
    this.convertOptions = o.recordElementsMax === undefined ? {} : { elementsMax: o.recordElementsMax };
    this.held = new HeldBatches(
      (h) =>
        h.state === 'ready' ? this.deliver(h.records) : Promise.resolve(this.failAll(h.records, h.error)),
      o.blocking?.pendingBytesMax !== undefined,
    );
    const b = o.blocking;
    this.unsettledSafe =
      b === undefined
        ? Infinity
        : b.pendingBytesMax === undefined || b.recordBytesMax === undefined
          ? b.pendingRecordsMax
          : Math.min(b.pendingRecordsMax, Math.max(0, Math.floor(b.pendingBytesMax / b.recordBytesMax)));
  }

  onEmit(sdkRecord: ReadWriteLogRecord): void {
    if (this.o.dropped.has(sdkRecord)) return;
    // This record is taken first (a strict write that fails throws for it): reporting an earlier
    // failure must not cost this record too, so the error below says it was accepted.
    const record = fromSdkLogRecord(sdkRecord, this.convertOptions);
    if (this.o.strictWal) void this.write(record).catch(() => undefined);
    else this.enqueue(record);
    const own = this.syncFailure;
    this.syncFailure = undefined;
    if (own?.record === record && this.o.onFailure === 'error') {
      // This emit handed down a batch whose synchronous commit failed while writing this very record:
      // saying "this one was accepted" would make the application drop a record that is not durable.
      if (this.unreported === own.error) this.unreported = undefined;
      throw new AuditWriteFailedError(
        `this audit record could not be made durable (nor, possibly, records emitted shortly before it): ${own.error.message}`,
        own.error,
      );
    }
    if (this.unreported && this.o.onFailure === 'error') {
      const f = this.unreported;
      this.unreported = undefined;
      // Each failure is reported once, by whichever comes first: this emit or a forceFlush.
      if (this.failedSinceFlush === f) this.failedSinceFlush = undefined;
      throw new AuditWriteFailedError(
        `an earlier audit record could not be made durable (this one was accepted; do not emit it again): ${f.message}`,
        f,
      );
    }
  }

  /** Writes a record (already processed); the promise resolves when it is durable. */
  write(record: AuditRecord): Promise<void> {
    if (this.o.strictWal) {
      try {
        flushBeforeExportSync(this.processors);
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
    return new Promise<void>((resolve, reject) => this.enqueue(record, { resolve, reject }));
  }

  /**
   * Group commit starts here: records emitted in the same tick (up to
   * BATCH_RECORDS_MAX) go down the pipeline as one batch with one promise —
   * per-record promises cost more than the write itself. Only `write()`
   * callers get a promise of their own record's outcome.
   */
  private enqueue(record: AuditRecord, waiter?: Settle): void {
    if (!this.current) {
      this.current = { records: [], waiters: new Map() };
      queueMicrotask(() => this.dispatch());
    }
    const batch = this.current;
    if (waiter) batch.waiters.set(batch.records.length, waiter);
    batch.records.push(record);
    if (batch.records.length >= BATCH_RECORDS_MAX) this.dispatch();
  }

  private dispatch(): void {
    const batch = this.current;
    if (!batch) return;
    this.current = undefined;
    const count = batch.records.length;
    const commitNow = this.mustCommitNow(count);
    this.unsettled += count;
    const p = (commitNow ? this.sendCommitting(batch.records) : this.send(batch.records)).then((errors) => {
      this.unsettled -= count;
      for (const [i, w] of batch.waiters) {
        const e = errors[i];
        if (e === undefined) w.resolve();
        else w.reject(e);
      }
    });
    this.outstanding.add(p);
    void p.finally(() => this.outstanding.delete(p));
  }

  /** True when handing `count` more records to a WAL would leave more than a bound (records or bytes) not yet durable. */
  private mustCommitNow(count: number): boolean {
    const b = this.o.blocking;
    // The WAL holds none of this writer's records but those not yet settled: no need to ask it.
    if (!b || this.unsettled + count <= this.unsettledSafe) return false;
    // Held batches are in no WAL yet, but in memory all the same (and only a synchronous commit hands
    // them down while the producer does not yield).
    for (const e of b.wals) {
      const s = e.wal.status();
      if (s.queuedRecords + this.held.records + count > b.pendingRecordsMax) return true;
      if (b.pendingBytesMax !== undefined && s.queuedBytes + this.held.bytes > b.pendingBytesMax) return true;
    }
    return false;
  }

  /**
   * Hands all but the last record down as usual, then writes the last one with a synchronous commit,
   * which makes everything queued before it durable too (bounded memory for a producer that never
   * yields). Not forced when the WAL did not take the others at once: it would go ahead of them.
   */
  private sendCommitting(records: AuditRecord[]): Promise<Array<unknown>> {
    const wals = (this.o.blocking as NonNullable<SdkWalWriterOptions['blocking']>).wals;
    const last = records.length - 1;
    try {
      flushBeforeExportSync(this.processors);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.syncFailure = { record: records[last] as AuditRecord, error };
      return Promise.resolve(this.failAll(records, error));
    }
    // Everything the held batches depend on is durable now (the blocking flush also covers the
    // flushes in flight): they go down first, in order, so the forced commit includes them.
    this.held.allFlushed();
    const before = wals.map((e) => e.wal.status().queuedRecords);
    const rest = last > 0 ? this.send(records.slice(0, last)) : Promise.resolve<unknown[]>([]);
    const accepted = wals.every((e, i) => e.wal.status().queuedRecords - (before[i] as number) === last);
    const record = records[last] as AuditRecord;
    let lastError: Promise<unknown>;
    if (!accepted) {
      lastError = this.send([record]).then((errors) => errors[0]);
    } else {
      try {
        for (const e of wals) e.writeSync(wals.length > 1 ? structuredClone(record) : record);
        lastError = Promise.resolve(undefined);
      } catch (err) {
        this.syncFailure = { record, error: err instanceof Error ? err : new Error(String(err)) };
        this.fail(this.syncFailure.error, record);
        lastError = Promise.resolve(err);
      }
    }
    return Promise.all([rest, lastError]).then(([errors, e]) => {
      const all = new Array<unknown>(records.length);
      errors.forEach((x, i) => (all[i] = x));
      all[last] = e;
      return all;
    });
  }

  /**
   * Sends a batch to every exporter; returns each record's error (undefined: durable). Every failure
   * goes through the failure policy. With several exporters each one's outcome counts on its own:
   * - a retryable error fails every record (the sender keeps and resends everything);
   * - records an exporter refused on their own (`RecordsRejectedError`) fail;
   * - an exporter that refused the whole batch permanently for something other than its data (a typed
   *   error outside `DATA_ERROR_CODES`: a bug (`INTERNAL`), a component not started or closed
   *   (`LIFECYCLE`), a corrupt key store) fails every record with that error (records refused on their
   *   own keep their own reason): no record is at fault, so resending them one by one could find none
   *   and would only call a failing exporter once per record;
   * - an exporter that refused the whole batch for its data (`isDataError`: one bad record spoils a
   *   batch) gets the other records again one by one, so only the records at fault fail. Only that
   *   exporter: one that stored the batch would store every record a second time (duplicates in an
   *   audit log), and a record another exporter refused fails anyway, so it is not stored there either.
   */
  private send(records: AuditRecord[]): Promise<Array<unknown>> {
    let own: Promise<void> | undefined;
    try {
      own = flushBeforeExport(this.processors);
    } catch (err) {
      return Promise.resolve(this.failAll(records, err)); // a processor's bug: nothing of the batch goes down
    }
    if (own === undefined && this.held.empty) return this.deliver(records);
    // Undefined `own`: nothing pending, but an earlier batch is held: this one waits its turn.
    return this.held.hold(records, own);
  }

  /** `send` once the batch may go down: the exporters' calls are made synchronously, in this call. */
  private async deliver(records: AuditRecord[]): Promise<Array<unknown>> {
    const errors: unknown[] = new Array(records.length);
    const outcomes = await this.consumeEach(records);
    const refusedWhole: LogsExporter[] = [];
    let wholeError: unknown;
    let retryable: { error: unknown } | undefined;
    let notData: { error: unknown } | undefined;
    for (const [i, o] of outcomes.entries()) {
      if (!o) continue;
      if (isRetryable(o.error)) retryable ??= o;
      else if (o.error instanceof RecordsRejectedError) {
        for (const r of o.error.rejected) if (errors[r.index] === undefined) errors[r.index] = r.error;
      } else if (!isDataError(o.error)) notData ??= o;
      else {
        refusedWhole.push(this.o.exporters[i] as LogsExporter);
        if (refusedWhole.length === 1) wholeError = o.error;
      }
    }
    if (!retryable && notData) {
      // Not the data's fault: every record fails with it, none is resent (see above).
      records.forEach((r, i) => {
        errors[i] ??= notData.error;
        this.fail(errors[i], r);
      });
      return errors;
    }
    if (retryable || (refusedWhole.length > 0 && records.length === 1)) {
      const err = retryable ? retryable.error : wholeError;
      records.forEach((r, i) => {
        errors[i] = err;
        this.fail(err, r);
      });
      return errors;
    }
    if (refusedWhole.length > 0) {
      const resend = records.flatMap((_, i) => (errors[i] === undefined ? [i] : []));
      const results = await Promise.allSettled(
        resend.map((i) => this.consumeBy(refusedWhole, [records[i] as AuditRecord])),
      );
      results.forEach((res, k) => {
        if (res.status === 'rejected') errors[resend[k] as number] = reasonOf(res.reason);
      });
    }
    errors.forEach((e, i) => {
      if (e !== undefined) this.fail(e, records[i] as AuditRecord);
    });
    return errors;
  }

  /** Fails every record of a batch with `err` (through the failure policy). */
  private failAll(records: readonly AuditRecord[], err: unknown): unknown[] {
    return records.map((r) => {
      this.fail(err, r);
      return err;
    });
  }

  /** Each exporter's outcome for the batch (undefined: durable), once all of them have answered. */
  private async consumeEach(records: AuditRecord[]): Promise<Array<{ error: unknown } | undefined>> {
    const exporters = this.o.exporters;
    if (exporters.length === 1) {
      try {
        await (exporters[0] as LogsExporter).consumeLogs({ records });
        return [undefined];
      } catch (error) {
        return [{ error: reasonOf(error) }];
      }
    }
    const results = await Promise.allSettled(exporters.map((e) => e.consumeLogs({ records })));
    return results.map((r) => (r.status === 'rejected' ? { error: reasonOf(r.reason) } : undefined));
  }

  /** Gives records to some exporters, waiting for all of them, failing as a pipeline's fan-out does (`settleAll`). */
  private consumeBy(exporters: readonly LogsExporter[], records: AuditRecord[]): Promise<void> {
    if (exporters.length === 1) return (exporters[0] as LogsExporter).consumeLogs({ records });
    return settleAll(exporters.map((e) => e.consumeLogs({ records })));
  }

  async forceFlush(): Promise<void> {
    this.dispatch();
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

  /** Flushes, closes the pipeline, then rejects as `forceFlush` would if a record was not made durable. */
  async shutdown(): Promise<void> {
    const flushError = await this.forceFlush().then(
      () => undefined,
      (err: unknown) => err,
    );
    await this.o.shutdown();
    if (flushError !== undefined) throw flushError;
  }

  private fail(err: unknown, record: AuditRecord): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.failedSinceFlush = e;
    if (this.o.onFailure === 'error') this.unreported = e;
    else if (this.o.onFailure === 'callback') {
      try {
        this.o.failureHandler?.(e, record);
      } catch (handlerError) {
        // Thrown into the commit path it would leave write() promises pending for ever (and reject an
        // unobserved promise); the failure itself is still counted for forceFlush / shutdown.
        process.stderr.write(
          `otel-audit: the onFailure handler threw (${String(handlerError)}) for an audit record that could not be made durable: ${e.message}\n`,
        );
      }
    } else {
      process.stderr.write(`otel-audit: an audit record could not be made durable, exiting: ${e.message}\n`);
      process.exit(70);
    }
  }
}

/** A rejection's reason; never undefined, which would read as "durable" in a per-record error list. */
function reasonOf(reason: unknown): unknown {
  return reason ?? new Error('an exporter refused the records without saying why');
}
