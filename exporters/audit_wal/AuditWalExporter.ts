/**
 * The `audit_wal` exporter: the acknowledgement point. `consumeLogs` resolves
 * only when every record of the batch is written and synced in the WAL; a
 * full queue or disk rejects with a retryable error (the receiver turns it
 * into 429/503 or UNAVAILABLE), a record too large for the WAL with a
 * permanent one. Records are stored with `encodeRecord` (docs/record-encoding.md),
 * indexed by their own time (falling back to observed time, then arrival).
 */
import path from 'node:path';
import { OtelAuditError, WalPayloadTooLargeError } from '../../src/errors.ts';
import { PermanentError, type LogBatch } from '../../src/pipeline/consumer.ts';
import type { CreateSettings, LogsExporter } from '../../src/pipeline/factories.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { encodeRecord } from '../../src/record/walCodec.ts';
import type { WalOptions } from '../../src/wal/options.ts';
import { Wal } from '../../src/wal/Wal.ts';
import type { AuditWalConfig } from './config.ts';
import { WalIntegrity } from './WalIntegrity.ts';
import type { WalStage, WalStageHost } from '../../src/pipeline/WalStage.ts';

export function walOptionsFrom(
  config: AuditWalConfig,
  baseDir: string,
  logger?: CreateSettings['logger'],
): WalOptions {
  return {
    dir: path.resolve(baseDir, config.directory),
    syncPolicy: config.sync_policy,
    commitDelayMs: config.commit_delay_ms,
    segmentBytesMax: config.segment_bytes_max,
    payloadBytesMax: config.payload_bytes_max,
    queueRecordsMax: config.queue_records_max,
    queueBytesMax: config.queue_bytes_max,
    whenQueueFull: config.when_queue_full,
    preallocate: config.preallocate,
    verifyOnOpen: config.verify_on_open,
    ...(logger ? { onWarning: (m: string) => logger.warn(m) } : {}),
  };
}

/** The time a record is indexed by in the WAL. */
export function walTimeOf(record: AuditRecord): bigint | undefined {
  if (record.timeUnixNano > 0n) return record.timeUnixNano;
  if (record.observedTimeUnixNano > 0n) return record.observedTimeUnixNano;
  return undefined;
}

export class AuditWalExporter implements LogsExporter, WalStageHost {
  private readonly settings: CreateSettings;
  private readonly options: WalOptions;
  private readonly lifecycle: Lifecycle;
  private walInstance: Wal | undefined;
  private integrity: WalIntegrity | undefined;
  private stagesKey: string | undefined;

  constructor(settings: CreateSettings, config: AuditWalConfig) {
    this.settings = settings;
    this.options = walOptionsFrom(config, settings.baseDir, settings.logger);
    this.lifecycle = new Lifecycle(
      async () => {
        this.walInstance = Wal.open(this.options);
        try {
          this.integrity?.start(this.walInstance);
        } catch (err) {
          await this.walInstance.close();
          throw err;
        }
        const r = this.walInstance.recovery;
        for (const t of r.tornTails)
          settings.logger.warn(`${settings.id}: torn tail truncated in ${t.segment} at offset ${t.offset}`);
        for (const c of r.corruptions) {
          settings.logger.error(
            `${settings.id}: corruption (${c.kind}) in ${c.segment}, sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'}; copy in ${c.quarantinedAs ?? '-'}`,
          );
        }
      },
      async () => {
        if (this.walInstance) await this.integrity?.stop(this.walInstance);
        await this.walInstance?.close();
      },
    );
  }

  /** The open WAL (after `start()`). */
  get wal(): Wal {
    if (!this.walInstance) throw new OtelAuditError('LIFECYCLE', `${this.settings.id}: not started`);
    return this.walInstance;
  }

  /** Called by the service for pipelines with `audit_chain` / `audit_sign` (before start). */
  configureWalStages(stages: readonly WalStage[]): void {
    const key = JSON.stringify(stages.map((s) => s.kind));
    if (this.stagesKey !== undefined && this.stagesKey !== key) {
      throw new OtelAuditError(
        'PIPELINE_BUILD',
        `exporters::${this.settings.id}: used by pipelines with different integrity processors; give each its own audit_wal`,
      );
    }
    if (this.stagesKey !== undefined) return;
    this.stagesKey = key;
    if (stages.length > 0) this.integrity = new WalIntegrity(stages, this.settings.id, this.settings.logger);
  }

  /** Writes one record and syncs before returning (in-process `durability: strict`). */
  writeSync(record: AuditRecord): void {
    const time = walTimeOf(record);
    if (this.integrity) {
      this.wal.appendDeferredSync(this.integrity.deferred(record, time));
      this.integrity.publish();
      return;
    }
    this.wal.appendSync(encodeRecord(record), time === undefined ? {} : { timeUnixNano: time });
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  async consumeLogs(batch: LogBatch): Promise<void> {
    const wal = this.wal;
    if (batch.records.length === 0) return;
    try {
      if (this.integrity) {
        const integrity = this.integrity;
        await wal.appendDeferred(batch.records.map((r) => integrity.deferred(r, walTimeOf(r))));
        integrity.publish();
        return;
      }
      const payloads = batch.records.map(encodeRecord);
      await wal.appendBatch(payloads, { timesUnixNano: batch.records.map(walTimeOf) });
    } catch (err) {
      if (err instanceof WalPayloadTooLargeError) throw new PermanentError(err.message, err);
      throw err;
    }
  }
}
