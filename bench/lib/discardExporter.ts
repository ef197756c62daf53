/**
 * A `LogRecordExporter` that drops everything and reports success at once:
 * what remains is the OpenTelemetry SDK's own cost (record creation, the
 * `BatchLogRecordProcessor` queue and its export scheduling). It counts what
 * it was given so a benchmark can check that no record was dropped on the way.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export class DiscardLogRecordExporter implements LogRecordExporter {
  exportedCount = 0;

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.exportedCount += logs.length;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
