/**
 * The `audit_wal` exporter: the acknowledgement point. `consumeLogs` resolves
 * only when every record of the batch is written and synced in the WAL; a
 * full queue or disk rejects with a retryable error (the receiver turns it
 * into 429/503 or UNAVAILABLE), a record too large for the WAL with a
 * permanent one. Records are stored with `encodeRecord` (docs/record-encoding.md),
 * indexed by their own time (falling back to observed time, then arrival).
 * A WAL that refuses appends until it is reopened (`WAL_FAILED`) is reopened
 * with recovery, with backoff (`WalSupervisor`); `health()` tells the state.
 */
import path from 'node:path';
import { OtelAuditError, WalPayloadTooLargeError } from '../../src/errors.ts';
import { PermanentError, type LogBatch } from '../../src/pipeline/consumer.ts';
import { RecordsRejectedError, type RejectedRecord } from '../../src/pipeline/RecordsRejectedError.ts';
import { RecordInvalidError } from '../../src/record/errors.ts';
import type { CreateSettings, LogsExporter } from '../../src/pipeline/factories.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import {
  EncodeRefusal,
  encodeRecordsWithRoom,
  type FramedResult,
} from '../../src/otlp/internal/encodeFramedBatch.ts';
import { encodeRecord, RECORD_ENCODING_VERSION } from '../../src/record/walCodec.ts';
import { FRAME_CRC_BYTES, FRAME_HEADER_BYTES, FRAME_TIME_MAX } from '../../src/wal/format.ts';
import type { WalOptions } from '../../src/wal/options.ts';
import { Wal, type DeferredRecord } from '../../src/wal/Wal.ts';
import type { AuditWalConfig } from './config.ts';
import { WalIntegrity } from './WalIntegrity.ts';
import { WalSupervisor, type WalHealth } from './WalSupervisor.ts';
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
    commitsInFlightMax: config.commits_in_flight_max,
    segmentBytesMax: config.segment_bytes_max,
    payloadBytesMax: config.payload_bytes_max,
    queueRecordsMax: config.queue_records_max,
    queueBytesMax: config.queue_bytes_max,
    whenQueueFull: config.when_queue_full,
    preallocate: config.preallocate,
    verifyOnOpen: config.verify_on_open,
    highWaterMarkIntervalMs: config.high_water_mark_interval_ms,
    ...(config.accept_lost_records_through_seq === undefined
      ? {}
      : { acceptLostRecordsThroughSeq: config.accept_lost_records_through_seq }),
    ...(logger ? { onWarning: (m: string) => logger.warn(m) } : {}),
  };
}

/**
 * The time a record is indexed by in the WAL. OTLP times are uint64, the WAL's frame time an int64
 * (`FRAME_TIME_MAX`): a time above it falls back like a missing one (the payload keeps the record's time).
 */
export function walTimeOf(record: AuditRecord): bigint | undefined {
  if (record.timeUnixNano > 0n && record.timeUnixNano <= FRAME_TIME_MAX) return record.timeUnixNano;
  if (record.observedTimeUnixNano > 0n && record.observedTimeUnixNano <= FRAME_TIME_MAX)
    return record.observedTimeUnixNano;
  return undefined;
}

export class AuditWalExporter implements LogsExporter, WalStageHost {
  private readonly settings: CreateSettings;
  private readonly options: WalOptions;
  private readonly lifecycle: Lifecycle;
  private readonly supervisor: WalSupervisor;
  private integrity: WalIntegrity | undefined;
  private stagesKey: string | undefined;

  /** `walOverrides`: WAL options not in the YAML config (tests: a simulated disk, a clock). */
  constructor(settings: CreateSettings, config: AuditWalConfig, walOverrides: Partial<WalOptions> = {}) {
    this.settings = settings;
    this.options = { ...walOptionsFrom(config, settings.baseDir, settings.logger), ...walOverrides };
    const backoffMinMs = Math.max(10, this.options.failureBackoffMs ?? 1000);
    this.supervisor = new WalSupervisor({
      id: settings.id,
      logger: settings.logger,
      open: () => this.openWal(),
      close: async (wal) => {
        // The final checkpoint is queued (synchronously, by stop()) before the WAL closes, and the close
        // commits it at once: awaited first, it waited out commit_delay_ms (up to 10 s) past a shutdown's
        // deadline, the WAL not yet closing.
        const stopped = this.integrity?.stop(wal);
        await wal.close();
        await stopped;
      },
      backoffMinMs,
      backoffMaxMs: Math.max(backoffMinMs, 30_000),
    });
    this.lifecycle = new Lifecycle(
      () => this.supervisor.start(),
      () => this.supervisor.stop(),
    );
  }

  private async openWal(): Promise<Wal> {
    const wal = Wal.open(this.options);
    try {
      this.integrity?.start(wal);
    } catch (err) {
      await wal.close();
      throw err;
    }
    const { logger, id } = this.settings;
    const r = wal.recovery;
    for (const t of r.tornTails)
      logger.warn(`${id}: torn tail truncated in ${t.segment} at offset ${t.offset}`);
    for (const c of r.corruptions) {
      logger.error(
        `${id}: corruption (${c.kind}) in ${c.segment}, sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'}; copy in ${c.quarantinedAs ?? '-'}`,
      );
    }
    return wal;
  }

  /**
   * The open WAL (after `start()`). After a `WAL_FAILED` it is replaced by a reopened one: hold on to it
   * only for the duration of one call.
   */
  get wal(): Wal {
    const wal = this.supervisor.wal;
    if (!wal) throw new OtelAuditError('LIFECYCLE', `${this.settings.id}: not started`);
    return wal;
  }

  /** `ok`, or `failed` while a WAL that refused appends is being reopened (appends fail retryably meanwhile). */
  health(): WalHealth {
    return this.supervisor.health();
  }

  /** The WAL to append to; throws the WAL's retryable failure while it is being reopened. */
  private usableWal(): Wal {
    this.supervisor.usable();
    return this.wal;
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
    const wal = this.usableWal();
    try {
      if (this.integrity) {
        wal.appendDeferredSync(this.integrity.deferred(record, time));
        this.integrity.publish();
        return;
      }
      wal.appendSync(encodeRecord(record), time === undefined ? {} : { timeUnixNano: time });
    } catch (err) {
      this.supervisor.noteError(wal);
      throw err;
    }
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  /**
   * Writes the batch. A record that cannot be stored (invalid, or over `payload_bytes_max`) is refused
   * on its own: the others are written, then `RecordsRejectedError` names the refused ones (an OTLP
   * receiver answers a partial success). Refusing the whole batch made senders drop the valid records
   * sent with one oversized record.
   */
  consumeLogs(batch: LogBatch): Promise<void> {
    const records = batch.records;
    if (records.length === 0) return Promise.resolve();
    let wal: Wal;
    try {
      wal = this.usableWal();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.integrity) return this.appendChained(wal, this.integrity, records);
    let framed: WalFrames;
    try {
      // Each payload is written inside its frame, frames mostly adjacent in memory: the WAL fills in the
      // headers and CRCs and writes them without copying (Wal.appendFramedBatch).
      framed = walFramesOf(records, wal.options.payloadBytesMax);
    } catch (err) {
      return Promise.reject(this.failure(wal, err));
    }
    // Framed now, synchronously: what waits for the commit holds the frames and counts, not the records,
    // so a request's decoded records can be collected while its commit is in flight (the callers up the
    // stack drop theirs too: PipelineConsumer, the receivers). Held until the commit, they survived young
    // GCs and were copied: ~0.1-0.25 CPU-µs per record on bench:receiver's durable path.
    return this.commitFrames(wal, framed, records.length);
  }

  private async commitFrames(wal: Wal, framed: WalFrames, recordCount: number): Promise<void> {
    const { frames, times, refused } = framed;
    try {
      if (frames.length > 0) await wal.appendFramedBatch(frames, { timesUnixNano: times });
    } catch (err) {
      throw this.failure(wal, err);
    }
    if (refused)
      throw new RecordsRejectedError({ rejected: refused, acceptedCount: recordCount - refused.length });
  }

  private async appendChained(
    wal: Wal,
    integrity: WalIntegrity,
    records: readonly AuditRecord[],
  ): Promise<void> {
    let refused: RejectedRecord[] | undefined;
    try {
      const deferred: DeferredRecord[] = [];
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as AuditRecord;
        try {
          deferred.push(integrity.deferred(r, walTimeOf(r))); // checks before it takes a chain position
        } catch (err) {
          (refused ??= []).push({ index: i, error: refusalOf(err) });
        }
      }
      if (deferred.length > 0) await wal.appendDeferred(deferred);
      integrity.publish();
    } catch (err) {
      throw this.failure(wal, err);
    }
    if (refused)
      throw new RecordsRejectedError({ rejected: refused, acceptedCount: records.length - refused.length });
  }

  /** A failed write as it leaves the exporter: noted for the WAL's supervisor; an oversized payload is permanent. */
  private failure(wal: Wal, err: unknown): unknown {
    this.supervisor.noteError(wal);
    if (err instanceof WalPayloadTooLargeError) return new PermanentError(err.message, err);
    return err;
  }
}

/** The WAL frames of a batch's records (`walFramesOf`). */
export interface WalFrames {
  /** One frame per record stored, in order: room for the frame header, the payload, room for the CRC. */
  readonly frames: Buffer[];
  /** The WAL time of each frame's record (`walTimeOf`). */
  readonly times: (bigint | undefined)[];
  /** The records not stored (invalid, or over `payloadBytesMax`), by index in `records`. */
  readonly refused: RejectedRecord[] | undefined;
}

/**
 * The frames `Wal.appendFramedBatch` takes for `records` (`encodeRecordsWithRoom`: payloads written in
 * place, byte for byte `encodeRecord`'s, resource and scope parts looked up once per run of records that
 * share them). Throws what is not a record's own reason to be refused.
 */
export function walFramesOf(records: readonly AuditRecord[], payloadBytesMax: number): WalFrames {
  const results = encodeRecordsWithRoom(
    RECORD_ENCODING_VERSION,
    records,
    FRAME_HEADER_BYTES,
    FRAME_CRC_BYTES,
  );
  const frames: Buffer[] = [];
  const times: (bigint | undefined)[] = [];
  let refused: RejectedRecord[] | undefined;
  for (let i = 0; i < results.length; i++) {
    const frame = results[i] as FramedResult;
    if (frame instanceof EncodeRefusal) {
      (refused ??= []).push({ index: i, error: refusalOf(frame.error) });
      continue;
    }
    const payloadBytes = frame.length - FRAME_HEADER_BYTES - FRAME_CRC_BYTES;
    if (payloadBytes > payloadBytesMax) {
      (refused ??= []).push({
        index: i,
        error: refusalOf(new WalPayloadTooLargeError(payloadBytes, payloadBytesMax)),
      });
      continue;
    }
    frames.push(frame);
    times.push(walTimeOf(records[i] as AuditRecord));
  }
  return { frames, times, refused };
}

/** A record's own reason not to be stored; anything else is the batch's problem and is rethrown. */
function refusalOf(err: unknown): PermanentError {
  if (err instanceof WalPayloadTooLargeError || err instanceof RecordInvalidError)
    return new PermanentError(err.message, err);
  throw err;
}
