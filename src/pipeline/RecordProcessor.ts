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
   * Processes one record in place; returns false to drop it. Throws `PermanentError` for a record it
   * refuses (e.g. `filter` with `error_mode: propagate`): that record alone is refused
   * (`RecordsRejectedError` once the rest of its batch is durable), and in process the application's
   * emit call throws. A transient failure must be a retryable `OtelAuditError` (the whole batch fails
   * and is retried); anything untyped is taken for a bug and refuses the record (`ProcessorFailedError`).
   */
  process(record: MutableLogRecordView): boolean;
  start?(): Promise<void>;
  shutdown?(): Promise<void>;
}
