/**
 * One otel-audit processor as an OpenTelemetry SDK `LogRecordProcessor`: it
 * runs the shared `RecordProcessor` on a view of the SDK record inside
 * `onEmit`. A record a processor drops is remembered in the pipeline's
 * `dropped` set, so the processors after it (and the WAL writer) skip it —
 * the SDK itself has no way to stop a record between processors.
 *
 * A processor that throws makes the application's `emit` throw (the record
 * is not taken): a typed `OtelAuditError` as it is, anything else (a bug) as
 * `ProcessorFailedError` naming the processor.
 */
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { OtelAuditError } from '../errors.ts';
import { ProcessorFailedError } from '../pipeline/ProcessorFailedError.ts';
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
    let keep: boolean;
    try {
      keep = this.processor.process(sdkLogRecordView(record));
    } catch (err) {
      this.dropped.add(record);
      if (err instanceof OtelAuditError) throw err;
      throw new ProcessorFailedError({ processorId: this.id, recordIndex: 0, cause: err });
    }
    if (!keep) this.dropped.add(record);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
