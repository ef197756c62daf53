/**
 * One otel-audit processor as an OpenTelemetry SDK `LogRecordProcessor`: it
 * runs the shared `RecordProcessor` on a view of the SDK record inside
 * `onEmit`. A record a processor drops is remembered in the pipeline's
 * `dropped` set, so the processors after it (and the WAL writer) skip it —
 * the SDK itself has no way to stop a record between processors.
 */
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { sdkLogRecordView } from '../record/SdkLogRecordView.ts';

export class SdkRecordProcessor implements LogRecordProcessor {
  readonly id: string;
  private readonly processor: RecordProcessor;
  private readonly dropped: WeakSet<ReadWriteLogRecord>;

  constructor(id: string, processor: RecordProcessor, dropped: WeakSet<ReadWriteLogRecord>) {
    this.id = id;
    this.processor = processor;
    this.dropped = dropped;
  }

  onEmit(record: ReadWriteLogRecord): void {
    if (this.dropped.has(record)) return;
    if (!this.processor.process(sdkLogRecordView(record))) this.dropped.add(record);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
