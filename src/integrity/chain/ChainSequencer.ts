/**
 * Turns records into WAL entries whose content depends on their position:
 * the hash chain and Merkle tree advance at write time, in WAL order (see
 * `DeferredRecord` in the WAL). Every `checkpointEveryRecords` records, or
 * when `checkpointEveryMs` has passed, a signed checkpoint frame follows the
 * record that completes it. A failed batch rolls the whole state back.
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { encodeRecordWithRoom } from '../../record/walCodec.ts';
import { FRAME_CRC_BYTES, FRAME_HEADER_BYTES, FrameType } from '../../wal/format.ts';
import type { DeferredBuild, DeferredRecord, WalSequencer } from '../../wal/Wal.ts';
import type { ChainState } from './ChainState.ts';
import { type ChainSnapshot } from './ChainState.ts';
import {
  checkpointSignedBytes,
  encodeSignedCheckpoint,
  type Checkpoint,
  type SignedCheckpoint,
} from './checkpoint.ts';

export interface CheckpointSigner {
  readonly algorithm: string;
  readonly keyId: string;
  sign(data: Uint8Array): Uint8Array;
}

/** Checkpoints without a signer carry algorithm `none`: they still fix roots and let the writer resume. */
export const UNSIGNED: CheckpointSigner = { algorithm: 'none', keyId: '', sign: () => new Uint8Array(0) };

export interface ChainSequencerOptions {
  readonly chain: ChainState;
  readonly signer: CheckpointSigner;
  readonly checkpointEveryRecords: number;
  readonly checkpointEveryMs: number;
  /** The wall clock (ns): the time a checkpoint carries. */
  readonly clock: () => bigint;
  /**
   * The monotonic clock (ms) `checkpointEveryMs` is measured on; default `performance.now()`. On the wall
   * clock a step back of an hour kept every batch from carrying its time-triggered checkpoint for an hour.
   */
  readonly elapsedMs?: () => number;
  /** Extra per-record step after chaining (per-record signatures). */
  readonly afterLink?: (record: AuditRecord) => void;
}

interface CheckpointFrame {
  readonly treeSize: number;
  readonly payload: Uint8Array;
  readonly timeUnixNano: bigint;
}

interface State {
  readonly chain: ChainSnapshot;
  readonly lastCheckpointSize: number;
  readonly lastCheckpointAtMs: number;
  readonly built: number;
  readonly lastFrame: CheckpointFrame | undefined;
}

export class ChainSequencer implements WalSequencer {
  private readonly o: ChainSequencerOptions;
  private lastCheckpointSize: number;
  /** When the last checkpoint was built, on `elapsedMs`. */
  private lastCheckpointAtMs: number;
  private readonly elapsedMs: () => number;
  /** Checkpoints built and not yet taken, in order. */
  private built: SignedCheckpoint[] = [];
  /** Checkpoints built so far (taken or not): a snapshot keeps this, so a rollback knows which are its own. */
  private builtTotal = 0;
  /** The last checkpoint frame built (for a standalone checkpoint that finds nothing new to cover). */
  private lastFrame: CheckpointFrame | undefined;
  constructor(o: ChainSequencerOptions, lastCheckpointSize: number) {
    this.o = o;
    this.lastCheckpointSize = lastCheckpointSize;
    this.elapsedMs = o.elapsedMs ?? (() => performance.now());
    this.lastCheckpointAtMs = this.elapsedMs();
  }

  get chain(): ChainState {
    return this.o.chain;
  }

  snapshot(): State {
    return {
      chain: this.o.chain.snapshot(),
      lastCheckpointSize: this.lastCheckpointSize,
      lastCheckpointAtMs: this.lastCheckpointAtMs,
      built: this.builtTotal,
      lastFrame: this.lastFrame,
    };
  }

  restore(state: unknown): void {
    const s = state as State;
    this.o.chain.restore(s.chain);
    this.lastCheckpointSize = s.lastCheckpointSize;
    this.lastCheckpointAtMs = s.lastCheckpointAtMs;
    // Drop the checkpoints built since the snapshot (the failed batch's), not a count of the
    // untaken list: checkpoints of earlier, durable batches may have been taken in between.
    const rolledBack = this.builtTotal - s.built;
    this.built.length = Math.max(0, this.built.length - rolledBack);
    this.builtTotal = s.built;
    this.lastFrame = s.lastFrame;
  }

  /** Records since the last checkpoint. */
  get pending(): number {
    return this.o.chain.size - this.lastCheckpointSize;
  }

  /**
   * Checkpoints built since the last call (the caller publishes them once durable); with `before` (a
   * snapshot), only those built before it was taken.
   */
  takeBuilt(before?: unknown): SignedCheckpoint[] {
    if (before === undefined) return this.built.splice(0);
    const builtSince = this.builtTotal - (before as State).built;
    return this.built.splice(0, Math.max(0, this.built.length - builtSince));
  }

  deferredRecord(
    record: AuditRecord,
    timeUnixNano: bigint | undefined,
    estimatedBytes: number,
  ): DeferredRecord {
    return {
      estimatedBytes,
      build: (): DeferredBuild => {
        this.o.chain.link(record);
        this.o.afterLink?.(record);
        // Encoded inside its frame's room: the WAL writes the header and CRC around it (no copy).
        const framed = encodeRecordWithRoom(record, FRAME_HEADER_BYTES, FRAME_CRC_BYTES);
        const payload = framed.subarray(FRAME_HEADER_BYTES, framed.length - FRAME_CRC_BYTES);
        const now = this.o.clock();
        const time = timeUnixNano ?? now;
        const due =
          this.pending >= this.o.checkpointEveryRecords ||
          (this.pending > 0 && this.elapsedMs() - this.lastCheckpointAtMs >= this.o.checkpointEveryMs);
        return due
          ? { payload, framed, timeUnixNano: time, extra: [this.checkpointFrame(now)] }
          : { payload, framed, timeUnixNano: time };
      },
    };
  }

  /**
   * A checkpoint on its own (idle timer, shutdown). Callers enqueue it only when records are pending,
   * but a count-triggered checkpoint built in between (records queued before it) may already cover
   * them. Then no new checkpoint is built, signed or published: the WAL needs one frame per queued
   * item (`DeferredBuild` cannot be empty), so the frame repeats the last checkpoint byte for byte,
   * which a verifier reads as the same checkpoint again.
   */
  deferredCheckpoint(): DeferredRecord {
    return {
      estimatedBytes: 1024,
      build: (): DeferredBuild => {
        const last = this.lastFrame;
        if (this.pending === 0 && last !== undefined && last.treeSize === this.o.chain.size) {
          return { type: FrameType.CHECKPOINT, payload: last.payload, timeUnixNano: last.timeUnixNano };
        }
        const f = this.checkpointFrame(this.o.clock());
        return { type: f.type, payload: f.payload, timeUnixNano: f.timeUnixNano };
      },
    };
  }

  private checkpointFrame(now: bigint): { type: number; payload: Uint8Array; timeUnixNano: bigint } {
    const chain = this.o.chain;
    const checkpoint: Checkpoint = {
      streamId: chain.streamId,
      treeSize: chain.size,
      rootHash: chain.root(),
      chainHead: chain.head,
      timeUnixNano: now,
    };
    const signed: SignedCheckpoint = {
      checkpoint,
      algorithm: this.o.signer.algorithm,
      keyId: this.o.signer.keyId,
      signature: this.o.signer.sign(checkpointSignedBytes(checkpoint)),
      frontier: chain.frontier(),
    };
    this.built.push(signed);
    this.builtTotal++;
    this.lastCheckpointSize = chain.size;
    this.lastCheckpointAtMs = this.elapsedMs();
    const payload = encodeSignedCheckpoint(signed);
    this.lastFrame = { treeSize: chain.size, payload, timeUnixNano: now };
    return { type: FrameType.CHECKPOINT, payload, timeUnixNano: now };
  }
}
