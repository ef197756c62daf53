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
  /** Processes one record in place; returns false to drop it. Throws only for programmer errors. */
  process(record: MutableLogRecordView): boolean;
  start?(): Promise<void>;
  shutdown?(): Promise<void>;
}
