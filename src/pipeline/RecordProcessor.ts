/**
 * A processor written once for both ways in: it works on one record at a
 * time through `MutableLogRecordView`, synchronously (the SDK's `onEmit` is
 * synchronous). In collector mode `runRecordProcessors` applies it to each
 * record of a batch; in process `SdkProcessorAdapter` applies it inside
 * `onEmit`.
 */
import type { MutableLogRecordView } from '../record/MutableLogRecordView.ts';

export interface RecordProcessor {
  /** True when the processor may change records (the chain/sign safety check uses it). */
  readonly mutates: boolean;
  /**
   * True only when `process()` never changes a record's content (it may drop or refuse records): then
   * a record keeps the wire bytes it was decoded from, which the WAL writer copies instead of encoding it
   * (src/record/recordWire.ts). Unset or false (the default), `processRecords` drops them before the
   * processor sees the record. Not the same as `mutates` (the chain/sign safety check: `audit_chain`
   * does not mutate before the WAL but its records are changed at the WAL, so it leaves this unset).
   */
  readonly preservesContent?: boolean;
  /**
   * Processes one record in place; returns false to drop it. Throws `PermanentError` for a record it
   * refuses (e.g. `filter` with `error_mode: propagate`): that record alone is refused
   * (`RecordsRejectedError` once the rest of its batch is durable), and in process the application's
   * emit call throws. A transient failure must be a retryable `OtelAuditError` (the whole batch fails
   * and is retried); anything untyped is taken for a bug and refuses the record (`ProcessorFailedError`).
   */
  process(record: MutableLogRecordView): boolean;
  /**
   * Makes durable what records already processed depend on but `process()` did not wait for (e.g.
   * `audit_encrypt`'s data keys of new subjects: creating them durably would block the main thread
   * on fsync for every new subject). A runner MUST call it after processing and before any record it
   * processed reaches an exporter, and hand nothing on if it rejects: `PipelineConsumer` awaits it
   * before the exporters get the batch, the in-process writer before a batch reaches the WAL.
   * Returns undefined when nothing is pending (the runner goes on synchronously); otherwise a promise
   * that also covers work started by earlier calls still in flight (a batch may use a key another
   * batch created). Rejects with a retryable `OtelAuditError` when that cannot be done: the batch is
   * failed as retryable, nothing of it acknowledged. A call covers every record processed before it,
   * and a failure is reported once, to that call: so the first call after a record was processed
   * must be the one its batch waits for (`PipelineConsumer` processes a batch and calls it in one
   * synchronous step; the in-process writer queues each processed record, in the same step, into the
   * batch whose dispatch makes the next call), or a failure may be reported to the wrong batch.
   */
  flushBeforeExport?(): Promise<void> | undefined;
  /**
   * `flushBeforeExport`, blocking: for a runner that cannot await (in-process `durability: strict`,
   * synchronous commits). When it returns, EVERYTHING records processed so far depend on is durable —
   * including work of `flushBeforeExport` calls still in flight, whose promises may settle (even reject)
   * later: the in-process writer's forced commit releases every held batch on its return
   * (`HeldBatches.allFlushed`) without waiting for their own flushes. If that cannot be done, throw.
   */
  flushBeforeExportSync?(): void;
  start?(): Promise<void>;
  /**
   * Stops the processor. `deadlineMs`: the time it has (ms from the call), which the service gives
   * it (its stage's share of the shutdown's deadline, `Service.shutdownComponents`); a processor with
   * work to finish (`audit_encrypt`'s key flushes) stops waiting for it then. Unset: its own default.
   */
  shutdown?(deadlineMs?: number): Promise<void>;
}
