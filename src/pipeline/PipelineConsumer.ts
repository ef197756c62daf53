/**
 * One `service::pipelines::logs[/name]`: processors in order, then fan-out to
 * every exporter. The batch is acknowledged when every exporter has it.
 */
import type { LogBatch, LogsConsumer } from './consumer.ts';
import type { LogsExporter } from './factories.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { runRecordProcessors } from './runRecordProcessors.ts';

export class PipelineConsumer implements LogsConsumer {
  readonly id: string;
  private readonly processors: readonly RecordProcessor[];
  private readonly exporters: readonly LogsExporter[];

  constructor(id: string, processors: readonly RecordProcessor[], exporters: readonly LogsExporter[]) {
    this.id = id;
    this.processors = processors;
    this.exporters = exporters;
  }

  async consumeLogs(batch: LogBatch): Promise<void> {
    const records = runRecordProcessors(batch.records, this.processors);
    if (records.length === 0) return;
    const out: LogBatch = batch.client ? { records, client: batch.client } : { records };
    if (this.exporters.length === 1) return (this.exporters[0] as LogsExporter).consumeLogs(out);
    await Promise.all(this.exporters.map((e) => e.consumeLogs(out)));
  }
}

/** Feeds one batch to several pipelines; each but the last gets its own copy (processors change records). */
export class FanOutConsumer implements LogsConsumer {
  private readonly targets: readonly LogsConsumer[];

  constructor(targets: readonly LogsConsumer[]) {
    this.targets = targets;
  }

  async consumeLogs(batch: LogBatch): Promise<void> {
    const n = this.targets.length;
    await Promise.all(
      this.targets.map((t, i) =>
        t.consumeLogs(i === n - 1 ? batch : { ...batch, records: structuredClone(batch.records) }),
      ),
    );
  }
}
