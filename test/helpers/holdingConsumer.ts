/** Test helper: a pipeline consumer that holds every batch until `releaseAll()`; `entered` counts the batches. */
import type { LogBatch, LogsConsumer } from '../../src/pipeline/consumer.ts';

export class HoldingConsumer implements LogsConsumer {
  entered = 0;
  private release = (): void => undefined;
  private readonly held = new Promise<void>((r) => (this.release = r));
  async consumeLogs(_batch: LogBatch): Promise<void> {
    this.entered++;
    await this.held;
  }
  releaseAll(): void {
    this.release();
  }
}
