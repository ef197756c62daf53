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
   * refuses (e.g. `filter` with `error_mode: propagate`): the batch is refused (400 / INVALID_ARGUMENT),
   * and in process the application's emit call throws.
   */
  process(record: MutableLogRecordView): boolean;
  start?(): Promise<void>;
  shutdown?(): Promise<void>;
}
