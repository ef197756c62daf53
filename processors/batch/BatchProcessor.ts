/**
 * The `batch` processor: accepted for compatibility, superseded by group
 * commit. In otel-audit a record is acknowledged only once it is durable in
 * the WAL, and the WAL's group commit already shares one write and one sync
 * among concurrent records; holding records in memory to batch them would
 * only delay acknowledgements and keep records outside the WAL's bound. So
 * every record passes through unchanged, at once.
 */
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { BatchConfig } from './config.ts';

export class BatchProcessor implements RecordProcessor {
  readonly mutates = false;
  /** Records pass unchanged: they keep their wire bytes (src/record/recordWire.ts). */
  readonly preservesContent = true;

  constructor(settings: CreateSettings, _config: BatchConfig) {
    settings.logger.info(
      `${settings.id}: accepted for compatibility; records are not batched in memory — the WAL's group commit batches writes`,
    );
  }

  process(): boolean {
    return true;
  }
}
