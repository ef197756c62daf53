import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../errors.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { isRetryable, type LogBatch } from './consumer.ts';
import type { LogsExporter } from './factories.ts';
import { PipelineConsumer } from './PipelineConsumer.ts';
import type { RecordProcessor } from './RecordProcessor.ts';

/** A processor that leaves work pending in process() (as audit_encrypt's new keys), settled by hand. */
class PendingWorkProcessor implements RecordProcessor {
  readonly mutates = false;
  readonly log: string[];
  private pending = false;
  private settle: ((err?: Error) => void) | undefined;
  constructor(log: string[]) {
    this.log = log;
  }
  process(): boolean {
    this.pending = true;
    return true;
  }
  flushBeforeExport(): Promise<void> | undefined {
    if (!this.pending) return undefined;
    this.pending = false;
    this.log.push('flush started');
    return new Promise<void>((resolve, reject) => {
      this.settle = (err) => {
        this.log.push(err ? 'flush failed' : 'flush done');
        if (err) reject(err);
        else resolve();
      };
    });
  }
  finish(err?: Error): void {
    this.settle?.(err);
  }
}

class LoggingExporter implements LogsExporter {
  readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  start = (): Promise<void> => Promise.resolve();
  shutdown = (): Promise<void> => Promise.resolve();
  consumeLogs(batch: LogBatch): Promise<void> {
    this.log.push(`export ${batch.records.length}`);
    return Promise.resolve();
  }
}

const batch = (): LogBatch => ({
  records: [createAuditRecord({ body: 'a' }), createAuditRecord({ body: 'b' })],
});
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('PipelineConsumer: RecordProcessor.flushBeforeExport', () => {
  it('the exporters get the batch only once the processors pending work is done', async () => {
    const log: string[] = [];
    const processor = new PendingWorkProcessor(log);
    const pipeline = new PipelineConsumer(
      'logs',
      [processor],
      [new LoggingExporter(log), new LoggingExporter(log)],
    );
    const done = pipeline.consumeLogs(batch());
    await tick();
    expect(log).toEqual(['flush started']);
    processor.finish();
    await done;
    expect(log).toEqual(['flush started', 'flush done', 'export 2', 'export 2']);
  });

  it('a failed flush fails the batch as retryable and no exporter gets anything', async () => {
    const log: string[] = [];
    const processor = new PendingWorkProcessor(log);
    const pipeline = new PipelineConsumer('logs', [processor], [new LoggingExporter(log)]);
    const done = pipeline.consumeLogs(batch());
    await tick();
    processor.finish(new OtelAuditError('KEY_STORE_IO', 'fsync failed', { retryable: true }));
    const err = await done.then(
      () => expect.unreachable('resolved'),
      (e: unknown) => e,
    );
    expect(isRetryable(err)).toBe(true);
    expect(log).toEqual(['flush started', 'flush failed']);
  });

  it.each([1, 2])(
    'an untyped flush failure stays the processors (retryable, no exporter blamed) with %i exporter(s)',
    async (exporters) => {
      // ff3c233 chained the exporters onto the flush and sent its rejection through the exporters'
      // typing: an untyped one became ExporterFailedError naming exporter 0 (INTERNAL, not retryable: the
      // sender dropped a batch no exporter had seen), and was reported as that exporter's bug.
      const log: string[] = [];
      const processor = new PendingWorkProcessor(log);
      const bugs: unknown[] = [];
      const pipeline = new PipelineConsumer(
        'logs',
        [processor],
        Array.from({ length: exporters }, () => new LoggingExporter(log)),
        [],
        ['audit_wal', 'other'],
        (e) => bugs.push(e),
      );
      const done = pipeline.consumeLogs(batch());
      await tick();
      const cause = new Error('EIO from a raw write');
      processor.finish(cause);
      const err = await done.then(
        () => expect.unreachable('resolved'),
        (e: unknown) => e,
      );
      expect(err).toBe(cause);
      expect(isRetryable(err)).toBe(true);
      expect(bugs).toEqual([]);
      expect(log).toEqual(['flush started', 'flush failed']);
    },
  );

  it('with nothing pending the batch goes to the exporter without waiting', async () => {
    const log: string[] = [];
    const pipeline = new PipelineConsumer(
      'logs',
      [{ mutates: false, process: () => true, flushBeforeExport: () => undefined }],
      [new LoggingExporter(log)],
    );
    const done = pipeline.consumeLogs(batch());
    expect(log).toEqual(['export 2']); // synchronously, as before the hook existed
    await done;
  });
  it("a processor whose flushBeforeExport throws fails the batch, and an earlier processor's pending flush failing later is no unhandled rejection", async () => {
    // The earlier processor's promise was collected, then dropped by the throw: its later rejection
    // reached nobody (an unhandled rejection ends a Node process by default).
    const log: string[] = [];
    const first = new PendingWorkProcessor(log);
    const buggy: RecordProcessor = {
      mutates: false,
      process: () => true,
      flushBeforeExport: () => {
        throw new Error('buggy flush');
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pipeline = new PipelineConsumer('logs', [first, buggy], [new LoggingExporter(log)]);
      const err = await pipeline.consumeLogs(batch()).then(
        () => expect.unreachable('resolved'),
        (e: unknown) => e,
      );
      expect((err as Error).message).toBe('buggy flush');
      first.finish(new OtelAuditError('KEY_STORE_IO', 'fsync failed', { retryable: true }));
      await tick();
      expect(unhandled).toEqual([]);
      expect(log).toEqual(['flush started', 'flush failed']);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
