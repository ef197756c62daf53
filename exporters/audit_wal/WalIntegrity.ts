/**
 * The WAL-stage integrity work of one `audit_wal` exporter (configured by
 * `audit_chain` / `audit_sign` in its pipeline): the stream id kept in the
 * WAL directory, chain recovery at start, the sequencer that chains and
 * signs records as they are written, checkpoints on an idle timer and at
 * shutdown, and publication of durable checkpoints to a directory.
 */
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import { OtelAuditError, WalPayloadTooLargeError } from '../../src/errors.ts';
import { ChainSequencer, UNSIGNED, type CheckpointSigner } from '../../src/integrity/chain/ChainSequencer.ts';
import { encodeSignedCheckpoint, type SignedCheckpoint } from '../../src/integrity/chain/checkpoint.ts';
import { ChainRecoveryError } from '../../src/integrity/chain/ChainRecoveryError.ts';
import { newStreamMessage } from '../../src/integrity/chain/newStreamMessage.ts';
import {
  recoverChain,
  type RecoverChainOptions,
  type RecoveredChain,
} from '../../src/integrity/chain/recoverChain.ts';
import { encodeIntegrityValue } from '../../src/integrity/sign/integrityValue.ts';
import { collectorPayloadBytes } from '../../src/integrity/canonical/collectorPayload.ts';
import type { ComponentLogger } from '../../src/pipeline/factories.ts';
import type { ChainStageConfig, SignStageConfig, WalStage } from '../../src/pipeline/WalStage.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { validateRecord } from '../../src/record/validateRecord.ts';
import { encodeRecord } from '../../src/record/walCodec.ts';
import { keyValuesBound, recordPayloadBytesUpperBound } from '../../src/record/payloadBytesBound.ts';
import { FRAME_OVERHEAD_BYTES } from '../../src/wal/format.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_KEY_ID,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../src/integrity/names.ts';
import type { DeferredRecord, Wal } from '../../src/wal/Wal.ts';
import type { RecoveryReport } from '../../src/wal/recover.ts';

const STREAM_ID_FILE = 'stream_id';
/** `<seq> <stream id>`: the WAL seq at which a stream started after damage (see `start`). */
const FIRST_SEQ_FILE = 'stream_first_seq';

export class WalIntegrity {
  private readonly chainConfig: ChainStageConfig;
  private readonly signConfig: SignStageConfig | undefined;
  private readonly logger: ComponentLogger;
  private readonly id: string;
  private sequencerInstance: ChainSequencer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private signer: CheckpointSigner = UNSIGNED;
  private payloadBytesMax = 0;
  /** Most bytes `link` (and a per-record signature) can add to a record's payload. */
  private linkBytesMax = 0;
  /** Checkpoints of durable batches, not yet published. */
  private durableCheckpoints: SignedCheckpoint[] = [];

  constructor(stages: readonly WalStage[], id: string, logger: ComponentLogger) {
    const chain = stages.find((s) => s.kind === 'chain');
    if (!chain || chain.kind !== 'chain')
      throw new OtelAuditError('PIPELINE_BUILD', `${id}: audit_sign needs audit_chain before it`);
    this.chainConfig = chain.config;
    const sign = stages.find((s) => s.kind === 'sign');
    this.signConfig = sign?.kind === 'sign' ? sign.config : undefined;
    this.logger = logger;
    this.id = id;
  }

  get sequencer(): ChainSequencer {
    if (!this.sequencerInstance) throw new OtelAuditError('LIFECYCLE', `${this.id}: integrity not started`);
    return this.sequencerInstance;
  }

  start(wal: Wal): void {
    if (this.signConfig) this.signer = this.signConfig.loadKey();
    const dir = wal.options.dir;
    let streamId = this.streamId(dir);
    // Records are decoded within recoverChain's default budget (verify's, 2 Mi elements): one beyond it, up
    // to payload_bytes_max, is read without being decoded (its chain attributes and stored hash), so memory
    // at start stays bounded and a legitimate large record still does not break the chain.
    let recovered = this.recover(wal, streamId, { firstSeq: this.firstSeq(dir, streamId) });
    const published = this.publishedTreeSizeMax(streamId);
    if (!recovered.broken && published > recovered.chain.size) {
      // A checkpoint of this stream was published (only ever once its records were durable) over more
      // records than the WAL now holds: durable records were lost at the WAL's end (taken for a torn
      // tail, or a lost segment). Continuing would give new records the published numbers: a fork.
      this.logger.error(
        `${this.id}: chain ${streamId} has ${recovered.chain.size} records in the WAL but a checkpoint of ${published} was published: records were lost`,
      );
    }
    // The WAL itself lost records after the stream's last one (an accepted loss below its high-water mark,
    // a missing segment, damage it found at open): they may have been the stream's, and the chain read from
    // what is left would give new records their numbers (a fork verify cannot see).
    const lost = lossAfter(wal.recovery, recovered.resumedAfterSeq);
    if (!recovered.broken && lost !== undefined) {
      const where =
        recovered.chain.size === 0
          ? `has no record in the WAL`
          : `resumes after WAL seq ${recovered.resumedAfterSeq}`;
      this.logger.error(
        `${this.id}: chain ${streamId} ${where}, but the WAL lost seqs ${lost.fromSeq}..${lost.toSeq} (${lost.kind}): records of the stream may be among them`,
      );
    }
    if (recovered.broken || published > recovered.chain.size || lost !== undefined) {
      // Records of this stream were lost to damage: continuing would reuse chain numbers (a fork). The old
      // stream ends where it is (verify names the damage); new records start a new stream at the WAL's next
      // seq, named after it (unique in this WAL). Its first seq is kept first, then its id: a restart reads
      // the new stream only from there, so the damage before it does not start yet another stream.
      const firstSeq = wal.status().nextSeq;
      const next = `${this.baseStreamId(streamId)}-r${firstSeq}`;
      // The name was used before and its records are gone (e.g. every segment the new stream was written
      // to lost, the WAL's next seq back at the one in its name): a checkpoint of it was published, so
      // writing it again would give new records published numbers (a fork). Only a new stream id helps.
      const publishedNext = next === streamId ? published : this.publishedTreeSizeMax(next);
      if (publishedNext > 0) {
        throw new ChainRecoveryError(next, [
          `a checkpoint of ${publishedNext} records of stream ${next} was published but its records are not in the WAL: a new stream cannot take its name (configure another stream_id and remove ${STREAM_ID_FILE} from the WAL directory)`,
        ]);
      }
      if (next === streamId) {
        // This stream was started here, at this WAL seq, and has no durable frame yet (its frames would be
        // at or after the seq in its name): the first-seq file was lost (a copy of the directory without
        // it). The damage is before it, so it goes on, its first seq kept again.
        this.logger.warn(
          `${this.id}: chain ${streamId} starts at WAL seq ${firstSeq} (${FIRST_SEQ_FILE} was missing): the damage before it is not its own`,
        );
      } else {
        const facts = {
          streamId,
          next,
          records: recovered.chain.size,
          resumedAfterSeq: recovered.resumedAfterSeq,
          // The loss is the reason only when nothing else is (a broken chain, a checkpoint beyond the records).
          lost: recovered.broken || published > recovered.chain.size ? undefined : lost,
          walLastSeq: firstSeq - 1,
        };
        this.logger.error(`${this.id}: ${newStreamMessage(facts)}`);
      }
      durableWrite(path.join(dir, FIRST_SEQ_FILE), `${firstSeq} ${next}\n`);
      if (next !== streamId) durableWrite(path.join(dir, STREAM_ID_FILE), `${next}\n`);
      streamId = next;
      recovered = this.recover(wal, streamId, { firstSeq });
      // The new stream has nothing before the WAL's end: broken here means the WAL is not what it was read
      // as a moment ago. Do not write records onto a chain that cannot be resumed.
      if (recovered.broken) throw new ChainRecoveryError(streamId, recovered.problems);
    }
    const perRecord = this.signConfig?.perRecord === true;
    this.payloadBytesMax = wal.options.payloadBytesMax;
    this.linkBytesMax = linkBytesUpperBound(streamId, perRecord ? this.signer : undefined);
    this.sequencerInstance = new ChainSequencer(
      {
        chain: recovered.chain,
        signer: this.signer,
        checkpointEveryRecords: this.chainConfig.checkpointEveryRecords,
        checkpointEveryMs: this.chainConfig.checkpointEveryMs,
        clock: wal.options.clock,
        ...(perRecord ? { afterLink: (r: AuditRecord) => this.signRecord(r) } : {}),
      },
      recovered.lastCheckpointSize,
    );
    const sequencer = this.sequencerInstance;
    wal.setSequencer({
      snapshot: () => sequencer.snapshot(),
      restore: (state) => sequencer.restore(state),
      // Taken here, not when an appender is told; only those built before the commits still in flight
      // (the WAL writes the next commit while one syncs: its checkpoints are not durable yet).
      durable: (pending) => this.durableCheckpoints.push(...sequencer.takeBuilt(pending)),
    });
    this.logger.info(
      `${this.id}: chain ${streamId} at ${recovered.chain.size} records (replayed ${recovered.replayed}); checkpoints ${this.signer.algorithm === 'none' ? 'unsigned' : `signed ${this.signer.algorithm} ${this.signer.keyId}`}`,
    );
    this.timer = setInterval(
      () => void this.checkpointIfIdle(wal),
      Math.max(50, this.chainConfig.checkpointEveryMs),
    );
    this.timer.unref();
  }

  /**
   * Validates and size-checks now: a record that cannot be encoded, or that would exceed
   * `payloadBytesMax` once chained, must fail its own request here, not a whole WAL batch later
   * (nor be written as a frame too large to read back). The size is a cheap upper bound; only a
   * record whose bound is over the limit is encoded to check exactly.
   */
  deferred(record: AuditRecord, time: bigint | undefined): DeferredRecord {
    validateRecord(record);
    const bound = recordPayloadBytesUpperBound(record) + this.linkBytesMax;
    if (bound > this.payloadBytesMax) {
      const bytes = encodeRecord(record).length + this.linkBytesMax;
      if (bytes > this.payloadBytesMax) throw new WalPayloadTooLargeError(bytes, this.payloadBytesMax);
    }
    return this.sequencer.deferredRecord(
      record,
      time,
      Math.min(bound, this.payloadBytesMax) + FRAME_OVERHEAD_BYTES,
    );
  }

  /** Writes checkpoints built by durable batches to the publish directory. */
  publish(): void {
    const built = this.durableCheckpoints.splice(0);
    if (!this.signConfig || this.signConfig.publishDir === '' || built.length === 0) return;
    for (const cp of built) this.writeCheckpointFile(this.signConfig.publishDir, cp);
  }

  /**
   * Stops the checkpoint timer and appends the final checkpoint (when records are pending) before it
   * returns: a `wal.close()` called right after commits it at once, without waiting out
   * `commitDelayMs`. Resolves once it is durable and published (or failed, logged).
   */
  async stop(wal: Wal): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.sequencerInstance && this.sequencerInstance.pending > 0) {
      // Appended in this synchronous part of stop(), before its first await (see above).
      try {
        await wal.appendDeferred([this.sequencerInstance.deferredCheckpoint()]);
        this.publish();
      } catch (err) {
        this.logger.warn(`${this.id}: final checkpoint not written: ${String(err)}`);
      }
    }
  }

  private async checkpointIfIdle(wal: Wal): Promise<void> {
    const seq = this.sequencerInstance;
    if (!seq || seq.pending === 0) return;
    try {
      await wal.appendDeferred([seq.deferredCheckpoint()]);
      this.publish();
    } catch (err) {
      this.logger.warn(`${this.id}: checkpoint not written: ${String(err)}`);
    }
  }

  /** `recoverChain`, its problems logged. */
  private recover(wal: Wal, streamId: string, options: RecoverChainOptions): RecoveredChain {
    const recovered = recoverChain(wal.reader(), streamId, options);
    for (const n of recovered.notes) this.logger.info(`${this.id}: chain recovery: ${streamId}: ${n}`);
    for (const p of recovered.problems) this.logger.error(`${this.id}: chain recovery: ${streamId}: ${p}`);
    return recovered;
  }

  /** The stream id new streams are derived from: the configured one, else the kept one without `-r<seq>`. */
  private baseStreamId(streamId: string): string {
    const configured = this.chainConfig.streamId;
    return configured !== '' ? configured : streamId.replace(/-r\d+$/, '');
  }

  /**
   * The WAL seq at which `streamId` started, kept in `<wal>/stream_first_seq` (`<seq> <stream id>`) when
   * damage started it; 1 otherwise (the whole log is read for it — at worst one more new stream).
   */
  private firstSeq(dir: string, streamId: string): number {
    const file = path.join(dir, FIRST_SEQ_FILE);
    if (!existsSync(file)) return 1;
    const text = readFileSync(file, 'utf8');
    const m = /^([1-9]\d{0,15}) (.+)\n$/.exec(text);
    if (m === null || m[2] !== streamId) {
      if (m === null) this.logger.warn(`${this.id}: ${file} is not '<seq> <stream id>': ignored`);
      return 1;
    }
    const seq = Number(m[1]);
    return Number.isSafeInteger(seq) ? seq : 1;
  }

  private signRecord(record: AuditRecord): void {
    const value = encodeIntegrityValue(this.signer.sign(collectorPayloadBytes(record)));
    record.attributes = record.attributes.filter(
      (kv) => kv.key !== ATTR_INTEGRITY_VALUE && kv.key !== ATTR_INTEGRITY_KEY_ID,
    );
    record.attributes.push(
      { key: ATTR_INTEGRITY_VALUE, value },
      { key: ATTR_INTEGRITY_KEY_ID, value: this.signer.keyId },
    );
  }

  /**
   * The stream id: the one kept in `<wal>/stream_id` (it may carry a `-r<n>` suffix after damage forced a
   * new stream), else the configured one, else a new UUID kept there durably.
   */
  private streamId(dir: string): string {
    const configured = this.chainConfig.streamId;
    const file = path.join(dir, STREAM_ID_FILE);
    if (existsSync(file)) {
      const id = readFileSync(file, 'utf8').trim();
      if (id !== '' && (configured === '' || id === configured || id.startsWith(`${configured}-r`)))
        return id;
    }
    if (configured !== '') return configured;
    const id = randomUUID();
    durableWrite(file, `${id}\n`);
    return id;
  }

  /**
   * The largest tree size of the checkpoints of `streamId` in the publish directory (from their file
   * names, as `writeCheckpointFile` names them); 0 without one. A name is not signed: a forged one can
   * only make the exporter start a new stream, never continue an old one.
   */
  private publishedTreeSizeMax(streamId: string): number {
    const dir = this.signConfig?.publishDir ?? '';
    if (dir === '') return 0;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(`${this.id}: cannot list the publish directory ${dir}: ${String(err)}`);
      return 0;
    }
    let max = 0;
    const prefix = `${streamId}-`;
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.json')) continue;
      const size = name.slice(prefix.length, -'.json'.length);
      if (/^\d{20}$/.test(size)) max = Math.max(max, Number(size));
    }
    return max;
  }

  private writeCheckpointFile(dir: string, cp: SignedCheckpoint): void {
    try {
      mkdirSync(dir, { recursive: true });
      const name = `${cp.checkpoint.streamId}-${String(cp.checkpoint.treeSize).padStart(20, '0')}.json`;
      durableWrite(path.join(dir, name), Buffer.from(encodeSignedCheckpoint(cp)).toString('utf8'));
    } catch (err) {
      this.logger.warn(
        `${this.id}: cannot publish checkpoint ${cp.checkpoint.treeSize} to ${dir}: ${String(err)}`,
      );
    }
  }
}

/** Bytes the chain attributes (and a per-record signature) can add to one record's payload. */
function linkBytesUpperBound(streamId: string, signer: CheckpointSigner | undefined): number {
  const hex = 'f'.repeat(64);
  const added = [
    { key: ATTR_SEQUENCE_STREAM_ID, value: streamId },
    { key: ATTR_SEQUENCE_NUMBER, value: BigInt(Number.MAX_SAFE_INTEGER) },
    { key: ATTR_SEQUENCE_PREVIOUS_HASH, value: hex },
    { key: ATTR_INTEGRITY_HASH, value: hex },
  ];
  if (signer) {
    const value = encodeIntegrityValue(signer.sign(new Uint8Array(0)));
    added.push({ key: ATTR_INTEGRITY_VALUE, value }, { key: ATTR_INTEGRITY_KEY_ID, value: signer.keyId });
  }
  return keyValuesBound(added);
}

function durableWrite(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * The first loss the WAL's recovery reported (an accepted loss below the high-water mark, or a corruption
 * naming its seqs) that reaches past `afterSeq`; undefined if none. A corruption whose seqs are not known
 * cannot be placed: the chain's own checks (numbers, links, damaged frames) cover what it read.
 */
export function lossAfter(
  report: RecoveryReport,
  afterSeq: number,
): { fromSeq: number; toSeq: number; kind: string } | undefined {
  const below = report.belowHighWaterMark;
  if (below !== undefined && below.toSeq > afterSeq)
    return { fromSeq: below.fromSeq, toSeq: below.toSeq, kind: 'below the high-water mark' };
  for (const c of report.corruptions) {
    const to = c.seqTo ?? c.seqFrom;
    if (c.seqFrom !== undefined && to !== undefined && to > afterSeq)
      return { fromSeq: c.seqFrom, toSeq: to, kind: c.kind };
  }
  return undefined;
}
