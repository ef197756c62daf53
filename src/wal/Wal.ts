/**
 * The write-ahead log: the product's acknowledgement point.
 *
 * Contract:
 * - `append()` resolves only after its record is written AND synced under the
 *   sync policy. Group commit: appends made while a sync is in flight are
 *   written together with one write per segment and one sync when it returns.
 *   The write runs on the thread pool when the commit fits in the active
 *   segment (SegmentWriter.writeFramesAsync); a strict append meanwhile
 *   writes its bytes again before its own (no acknowledged record after a
 *   hole: docs/wal-format.md §9).
 * - Sequence numbers are assigned when a batch is written, in append order,
 *   without gaps: a batch whose write or sync fails is rejected (never
 *   acknowledged) and its numbers are reused by the next batch, which goes
 *   to a NEW segment (a failed sync is never retried as if it had succeeded).
 * - Memory is bounded: at most `queueRecordsMax` records / `queueBytesMax`
 *   bytes are accepted but not yet durable; beyond that appends wait
 *   (`block`) or fail with a retryable `WalQueueFullError` (`reject`).
 * - Readers only ever see durable records (`durableSeq`).
 */
import {
  OtelAuditError,
  WalBuildFailedError,
  WalClosedError,
  WalDiskFullError,
  WalFailedError,
  WalPayloadTooLargeError,
  WalQueueFullError,
  WalSyncFailedError,
  assert,
} from '../errors.ts';
import { createBoundarySegment } from './boundarySegment.ts';
import { CursorStore } from './CursorStore.ts';
import path from 'node:path';
import { ensureDurableDir, type FileHandle } from './fs/FileSystem.ts';
import {
  buildFrame,
  frameAround,
  FRAME_BYTES_LIMIT,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  FrameType,
} from './format.ts';
import { HighWaterMarkKeeper } from './HighWaterMarkKeeper.ts';
import { WalLock } from './lock.ts';
import { resolveWalOptions, type ResolvedWalOptions, type WalOptions } from './options.ts';
import { recoverWal, type RecoveryReport } from './recover.ts';
import type { SegmentInfo } from './SegmentInfo.ts';
import { SegmentWriter, wrapIo } from './SegmentWriter.ts';
import { WalReader, type ReadOptions, type TailOptions, type WalRecord } from './WalReader.ts';

export interface AppendOptions {
  /** Record time in unix ns, stored in the frame and used for time-range reads. Default: the WAL clock. */
  readonly timeUnixNano?: bigint;
  /** Frame type: RECORD (1, default), CHECKPOINT (3) or a user type 4..127. */
  readonly type?: number;
}

export interface BatchAppendOptions extends AppendOptions {
  /** Per-record times (unix ns); a missing entry falls back to `timeUnixNano`, then the clock. */
  readonly timesUnixNano?: ReadonlyArray<bigint | undefined>;
}

export interface WalStatus {
  readonly dir: string;
  readonly syncPolicy: ResolvedWalOptions['syncPolicy'];
  /** false when acknowledged records would not survive a power loss (`syncPolicy: none`). */
  readonly durable: boolean;
  readonly nextSeq: number;
  readonly durableSeq: number;
  readonly firstSeq: number;
  readonly segments: number;
  readonly queuedRecords: number;
  readonly queuedBytes: number;
  readonly refusedAppends: number;
  readonly failedBatches: number;
  readonly commits: number;
  readonly closed: boolean;
}

/**
 * A record whose payload is built when its batch is written, in WAL order —
 * for content that depends on its position (a hash chain). `build` may add
 * frames to write right after the record (a signed checkpoint).
 */
export interface DeferredRecord {
  /** Counted against `queueBytesMax` while queued (the real size is known only when built). */
  readonly estimatedBytes: number;
  build(): DeferredBuild;
}

export interface DeferredBuild {
  /** Frame type; default RECORD. */
  readonly type?: number;
  readonly payload: Uint8Array;
  /**
   * When set, `payload` lies inside it with FRAME_HEADER_BYTES of room before and FRAME_CRC_BYTES after
   * (`encodeRecordWithRoom`): the WAL writes the frame's header and CRC there instead of copying the
   * payload into a new frame (as `appendFramedBatch` does).
   */
  readonly framed?: Buffer;
  readonly timeUnixNano: bigint;
  readonly extra?: ReadonlyArray<{
    readonly type: number;
    readonly payload: Uint8Array;
    readonly timeUnixNano: bigint;
  }>;
}

/**
 * The owner of deferred records' position-dependent state. A batch that
 * fails is not in the log, so the state returns to where it was before the
 * batch was built.
 */
export interface WalSequencer {
  snapshot(): unknown;
  restore(state: unknown): void;
  /**
   * Called when a batch is durable, before its appenders are told: whatever the sequencer had built when
   * it took `pending` (the snapshot of the oldest batch still in flight, built meanwhile and not durable
   * yet) is in the log — everything built so far when `pending` is undefined.
   */
  durable?(pending: unknown): void;
}

type Queued = Buffer | { readonly deferred: DeferredRecord };

/**
 * A group commit that would roll over while the next segment's background
 * preparation is still writing its zeros waits for it, at most this long,
 * with the event loop free, instead of creating the segment inline: that
 * writes the same zeros and syncs them on the main thread (64 MiB: a stall of
 * 100+ ms, and main-thread CPU), which the preparation then did for nothing.
 * Only an optimisation: what is written, and when it is acknowledged, is
 * unchanged (a strict append meanwhile still creates a segment inline).
 */
const PREPARATION_WAIT_MS_MAX = 1000;

async function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

interface Waiter {
  readonly frames: number;
  readonly bytes: number;
  resolve(firstSeq: number): void;
  reject(err: Error): void;
}

interface Blocked {
  readonly frames: Queued[];
  readonly times: bigint[];
  readonly waiter: Waiter;
}

/**
 * A group commit with I/O in flight (`Wal.inFlight`, oldest first). Its write runs first (on the thread
 * pool, or done already); its sync is issued once it is written and the oldest: syncs run one at a time,
 * in order, so a commit is acknowledged only after every earlier one.
 */
interface InFlightCommit {
  readonly batch: Batch;
  /** The file its frames went to (undefined until its write has started). */
  file: FileHandle | undefined;
  /** Its frames are in the file (its write returned): it may be synced. */
  written: boolean;
  /** Set when its sync is issued. */
  syncing: boolean;
}

interface Batch {
  readonly frames: Buffer[];
  readonly times: bigint[];
  readonly waiters: Waiter[];
  readonly firstSeq: number;
  readonly snapshot: unknown;
  /** Per waiter, the sequence number of its first record (set when deferred records added frames). */
  readonly waiterSeqs: number[] | undefined;
}

export class Wal {
  readonly options: ResolvedWalOptions;
  readonly recovery: RecoveryReport;
  readonly cursors: CursorStore;
  private readonly lock: WalLock;
  private readonly writer: SegmentWriter;
  private readonly segments: SegmentInfo[];
  private nextSeq: number;
  private durable: number;
  private frames: Queued[] = [];
  private sequencer: WalSequencer | undefined;
  private times: bigint[] = [];
  private waiters: Waiter[] = [];
  /** Appends waiting for room, FIFO from `blockedHead` (a head index: `shift()` on a long array is O(n)). */
  private blocked: Blocked[] = [];
  private blockedHead = 0;
  private queuedRecords = 0;
  private queuedBytes = 0;
  private blockedBytes = 0;

  private get blockedCount(): number {
    return this.blocked.length - this.blockedHead;
  }
  private flushing = false;
  /** Wakes the flush loop waiting for a commit to settle or for an append (`nextProgress`). */
  private wakeLoop: (() => void) | undefined;
  /**
   * Files a sync has failed on. After a failed fsync the kernel may report
   * success to a later (or concurrent) sync of the same file although pages
   * were lost (errseq reports each error once): any batch of such a file
   * that is not yet acknowledged fails too, whatever its own sync returned.
   */
  private readonly syncFailedFiles = new WeakSet<FileHandle>();
  /**
   * Group commits with I/O in flight, oldest first: at most `commitsInFlightMax` (one syncing, the next
   * written meanwhile, as a strict append would be: see `commit`).
   */
  private inFlight: InFlightCommit[] = [];
  /** Batches failed before their own sync returned (a strict append's sync of the same file failed). */
  private readonly failedEarly = new WeakSet<Batch>();
  /** Set when the WAL cannot safely go on (a failed batch's segment could not be removed): reopen to recover. */
  private broken: Error | undefined;
  private flushScheduled = false;
  /** The `commitDelayMs` timer of a scheduled flush: `close()` runs it at once instead of waiting it out. */
  private flushTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private closingDone: Promise<void> | undefined;
  private closed = false;
  /**
   * After a failed segment creation, appends fail fast until this time (`performance.now()`: a monotonic
   * clock, so that the wall clock stepping back cannot stretch the back-off). It ends only when its time
   * is up: no batch is written meanwhile, so none can prove the disk healthy again — an empty batch (a
   * flush marker) writes nothing, and a batch written before the failure whose sync returns later says
   * nothing about creating a segment now.
   */
  private failFastUntilMs = 0;
  private lastFailure: Error | undefined;
  private readonly durableListeners = new Set<() => void>();
  private counters = { refusedAppends: 0, failedBatches: 0, commits: 0 };
  /** Writes the high-water mark on the thread pool (undefined with `syncPolicy: none`: nothing is durable). */
  private readonly mark: HighWaterMarkKeeper | undefined;
  /**
   * Segments created since the mark was last written (`addSegment`), by first seq: the mark is written at
   * once when a commit up to one of them is durable (the commit that created it; with two commits in flight
   * both may have created one, and the earlier completes first). A failed batch that gives its numbers back
   * takes its segments' entries with it.
   */
  private markDueSeqs: number[] = [];
  /**
   * The empty sealed segment recovery left as the newest (recover.ts: after an accepted loss below the
   * high-water mark, or in front of a damaged older segment), until a record after it is durable. The writer's
   * first segment has its name and replaces it; when that segment's commit fails and the segment goes, the
   * boundary is put back (`restoreBoundary`): without it the short or damaged segment would be the newest
   * again, refused at the next open (an accepted loss) or its lost records taken for a torn write.
   */
  private boundary: SegmentInfo | undefined;

  private constructor(options: ResolvedWalOptions, lock: WalLock, recovered: ReturnType<typeof recoverWal>) {
    this.options = options;
    this.lock = lock;
    this.recovery = recovered.report;
    this.segments = recovered.segments;
    this.nextSeq = recovered.nextSeq;
    const newest = recovered.segments[recovered.segments.length - 1];
    if (newest !== undefined && newest.lastSeq < newest.firstSeq && newest.state === 'sealed')
      this.boundary = newest;
    this.durable = recovered.nextSeq - 1;
    const newestFound = recovered.segments[recovered.segments.length - 1];
    const unsyncedThrough = newestFound?.damaged === true ? this.durable : 0;
    this.mark =
      options.syncPolicy === 'none'
        ? undefined
        : new HighWaterMarkKeeper(
            {
              fs: options.fs,
              dir: options.dir,
              intervalMs: options.highWaterMarkIntervalMs,
              clock: options.clock,
              onWarning: options.onWarning,
              // Records found after damage in the newest segment are counted (numbering goes on after them)
              // but were left as found, not synced by the open: a crash may have left them unsynced, never
              // acknowledged. Named in the mark, their loss at a later power loss would refuse the open.
              // Only once a record after them is durable are they covered.
              durableSeq: () => (this.durable > unsyncedThrough ? this.durable : 0),
              segmentOf: (seq) => this.segmentOf(seq),
            },
            recovered.report.highWaterMark?.lastSeq ?? 0,
          );
    this.writer = new SegmentWriter(
      {
        fs: options.fs,
        dir: options.dir,
        segmentBytesMax: options.segmentBytesMax,
        indexIntervalBytes: options.indexIntervalBytes,
        preallocate: options.preallocate,
        clock: options.clock,
        chainHead: options.chainHead,
        onSyncFailed: (file) => this.syncFailedFiles.add(file),
      },
      recovered.nextSegmentNumber,
    );
    this.cursors = new CursorStore(options.fs, options.dir, () => this.durable);
  }

  /** Opens (creating if needed) a WAL directory, taking its lock and recovering it. */
  static open(opts: WalOptions): Wal {
    const options = resolveWalOptions(opts);
    let lock: WalLock;
    try {
      ensureDurableDir(options.fs, options.dir, path);
      lock = WalLock.acquire(options.fs, options.dir);
    } catch (err) {
      throw err instanceof OtelAuditError ? err : wrapIo(err, `cannot open WAL ${options.dir}`);
    }
    try {
      const recovered = recoverWal({
        fs: options.fs,
        dir: options.dir,
        mode: 'write',
        frameBytesMax: FRAME_BYTES_LIMIT,
        indexIntervalBytes: options.indexIntervalBytes,
        verify: options.verifyOnOpen,
        acceptLostRecordsThroughSeq: options.acceptLostRecordsThroughSeq,
        segmentBytesMax: options.segmentBytesMax,
        clock: options.clock,
      });
      const wal = new Wal(options, lock, recovered);
      if (options.syncPolicy === 'none') {
        options.onWarning?.(
          `WAL ${options.dir}: syncPolicy 'none' — acknowledged records are NOT durable (tests and benchmarks only)`,
        );
      }
      const accept = options.acceptLostRecordsThroughSeq;
      if (accept !== undefined) {
        // A setting left in place accepts every later loss below a mark up to it, without refusing the open.
        const lost = recovered.report.belowHighWaterMark;
        options.onWarning?.(
          `WAL ${options.dir}: ` +
            (lost
              ? `records ${lost.fromSeq}..${lost.toSeq} below the high-water mark are missing: the loss was ACCEPTED (acceptLostRecordsThroughSeq ${accept})`
              : `acceptLostRecordsThroughSeq ${accept} is set; nothing below the high-water mark is missing`) +
            `. Remove the option: while it is set, a later loss of records up to ${accept} opens without refusal`,
        );
      }
      return wal;
    } catch (err) {
      lock.release();
      throw err instanceof OtelAuditError ? err : wrapIo(err, `cannot recover WAL ${options.dir}`);
    }
  }

  /** Appends one record; resolves with its sequence number once it is durable. */
  append(payload: Uint8Array, opts?: AppendOptions): Promise<number> {
    return this.enqueue([payload], opts);
  }

  /**
   * Appends records as one unit; resolves with the first sequence number once
   * all are durable. `timesUnixNano[i]`, when given, is record i's time.
   */
  appendBatch(payloads: readonly Uint8Array[], opts?: BatchAppendOptions): Promise<number> {
    if (payloads.length === 0) return Promise.resolve(this.nextSeq);
    return this.enqueue(payloads, opts);
  }

  /**
   * `appendBatch` for payloads already written inside their frames, so the
   * WAL builds the frames in place instead of copying the payloads: each
   * `frames[i]` is FRAME_HEADER_BYTES of room, payload i, FRAME_CRC_BYTES of
   * room (`encodeRecordWithRoom`). The WAL writes the header and, when the
   * batch is written, the sequence number and CRC into these bytes: the
   * caller hands them over (distinct, non-overlapping buffers) and must not
   * touch them until the promise settles. Frames adjacent in memory are written to the segment without a
   * copy (`SegmentWriter.writeFrames`).
   */
  appendFramedBatch(frames: readonly Buffer[], opts?: BatchAppendOptions): Promise<number> {
    if (frames.length === 0) return Promise.resolve(this.nextSeq);
    return this.enqueue(frames, opts, true);
  }

  /**
   * Installs the owner of deferred records' state (once, before any deferred
   * append). See `DeferredRecord`.
   */
  setSequencer(sequencer: WalSequencer): void {
    if (this.sequencer) throw new OtelAuditError('INVALID_ARGUMENT', 'the WAL already has a sequencer');
    this.sequencer = sequencer;
  }

  /**
   * Appends records whose payloads are built at write time, in WAL order;
   * resolves with the first one's sequence number once all are durable.
   */
  appendDeferred(records: readonly DeferredRecord[]): Promise<number> {
    if (records.length === 0) return Promise.resolve(this.nextSeq);
    try {
      this.checkOpen();
      if (!this.sequencer)
        throw new OtelAuditError('INVALID_ARGUMENT', 'appendDeferred needs a sequencer (setSequencer)');
    } catch (err) {
      return Promise.reject(err);
    }
    let bytes = 0;
    for (const r of records) bytes += r.estimatedBytes;
    return this.enqueueQueued(
      records.map((deferred) => ({ deferred })),
      records.map(() => 0n),
      bytes,
    );
  }

  /**
   * Strict append for callers that cannot await: writes everything queued
   * plus this record and syncs on the calling thread before returning its
   * sequence number. Throws a typed error if it could not be made durable.
   */
  appendSync(payload: Uint8Array, opts?: AppendOptions): number {
    this.checkOpen();
    const [frames, times, bytes] = this.build([payload], opts);
    return this.strictAppend(frames[0] as Buffer, times[0] as bigint, bytes);
  }

  /** `appendSync` for a deferred record (built now, at its position). */
  appendDeferredSync(record: DeferredRecord): number {
    this.checkOpen();
    if (!this.sequencer)
      throw new OtelAuditError('INVALID_ARGUMENT', 'appendDeferredSync needs a sequencer (setSequencer)');
    return this.strictAppend({ deferred: record }, 0n, record.estimatedBytes);
  }

  private strictAppend(item: Queued, time: bigint, bytes: number): number {
    let seq = -1;
    let refused: Error | undefined;
    // Appends waiting for room in the queue were called before this one: they are written (and numbered)
    // first, in this commit, over the queue bound (all of it is written now, nothing stays queued).
    this.admitBlocked(true);
    this.frames.push(item);
    this.times.push(time);
    this.queuedRecords += 1;
    this.queuedBytes += bytes;
    this.waiters.push({ frames: 1, bytes, resolve: (s) => (seq = s), reject: (e) => (refused = e) });
    const batch = this.takeQueued();
    if (refused) throw refused;
    const file = this.writeBatch(batch, this.inFlight.length > 0);
    if (file && this.options.syncPolicy !== 'none') {
      try {
        // Its own descriptor: the group commit's in-flight sync may consume a write-back error of this file.
        this.writer.datasyncActiveSync();
      } catch (err) {
        this.syncFailedFiles.add(file);
        this.failBatch(
          batch,
          new WalSyncFailedError(`fdatasync failed; batch not acknowledged, segment abandoned`, err),
        );
        this.failInFlightEarly();
        throw this.lastFailure;
      }
    }
    if (!file) {
      this.failInFlightEarly();
      throw this.lastFailure;
    }
    this.completeBatch(batch);
    assert(seq > 0, 'strict append was assigned a sequence number');
    return seq;
  }

  /**
   * Resolves when every record appended before this call is durable; rejects
   * with the batch's error if the last of them could not be made durable.
   */
  flush(): Promise<void> {
    if (!this.flushing && !this.flushScheduled && this.waiters.length === 0 && this.blockedCount === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const marker: Waiter = { frames: 0, bytes: 0, resolve: () => resolve(), reject };
      const newest = this.newestInFlight();
      if (this.blockedCount > 0) this.blocked.push({ frames: [], times: [], waiter: marker });
      else if (this.waiters.length === 0 && newest !== undefined) {
        // Nothing queued: the last records are those of the newest commit in flight, so the marker shares
        // its outcome (queued as a batch of its own, it would resolve even when that commit fails).
        newest.batch.waiters.push(marker);
      } else this.accept([], [], marker);
    });
  }

  /**
   * Set when the WAL refuses every append until it is reopened (`WAL_FAILED`): a failed batch's
   * segment could not be removed, or its numbers could not be given back. Undefined while healthy.
   */
  get failure(): Error | undefined {
    return this.broken;
  }

  /** Highest sequence number that is durable. */
  get durableSeq(): number {
    return this.durable;
  }

  /** Reads durable records (by sequence number or time range). */
  read(opts: ReadOptions = {}): Iterable<WalRecord> {
    return this.reader().records(opts);
  }

  /** Follows the log: yields durable records from `fromSeq` on, waiting for new ones until aborted or closed. */
  tail(opts: TailOptions = {}): AsyncIterable<WalRecord> {
    return this.reader().tail(opts);
  }

  reader(): WalReader {
    return new WalReader({
      fs: this.options.fs,
      segments: () => this.segments,
      durableSeq: () => this.durable,
      frameBytesMax: FRAME_BYTES_LIMIT,
      waitForDurable: () => this.waitForDurable(),
      isClosed: () => this.closed,
    });
  }

  status(): WalStatus {
    return {
      dir: this.options.dir,
      syncPolicy: this.options.syncPolicy,
      durable: this.options.syncPolicy !== 'none',
      nextSeq: this.nextSeq,
      durableSeq: this.durable,
      firstSeq: this.segments[0]?.firstSeq ?? 1,
      segments: this.segments.length,
      queuedRecords: this.queuedRecords,
      queuedBytes: this.queuedBytes,
      refusedAppends: this.counters.refusedAppends,
      failedBatches: this.counters.failedBatches,
      commits: this.counters.commits,
      closed: this.closed,
    };
  }

  /** Stops accepting, makes everything accepted durable (or failed), seals the active segment, releases the lock. */
  close(): Promise<void> {
    // Every call resolves when the WAL is closed: a second caller returning early (the first one still
    // waiting for a background preparation) would find the lock still held and the directory still touched.
    this.closingDone ??= this.closeOnce();
    return this.closingDone;
  }

  private async closeOnce(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.commitDelayedNow();
    try {
      await this.flush();
    } catch {
      // the failed records' appenders were told; close goes on
    }
    // A commit that failed before its I/O returned (its appenders were told) may still have its write or sync
    // running: no file is closed under it.
    while (this.inFlight.length > 0) await this.nextProgress();
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.seal();
    } catch (err) {
      this.options.onWarning?.(
        `WAL ${this.options.dir}: sealing the active segment at close failed: ${String(err)}`,
      );
      this.writer.abandon();
    } finally {
      // The last mark, durable (or failed) before another writer can take the directory.
      await this.mark?.close();
      this.writer.close();
      // A cancelled background preparation may still have I/O in flight: it must not touch the directory
      // once another writer can hold it.
      await this.writer.stopped();
      this.lock.release();
      for (const l of [...this.durableListeners]) l();
    }
  }

  /** Runs a flush waiting for its `commitDelayMs` timer now. */
  private commitDelayedNow(): void {
    if (this.flushTimer === undefined) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushScheduled = false;
    void this.flushLoop();
  }

  private checkOpen(): void {
    if (this.closing || this.closed) throw new WalClosedError();
    if (this.broken) throw this.broken;
  }

  private build(
    payloads: readonly Uint8Array[],
    opts: BatchAppendOptions | undefined,
  ): [Buffer[], bigint[], number] {
    const type = this.frameTypeOf(opts);
    const t = opts?.timeUnixNano ?? this.options.clock();
    const frames: Buffer[] = [];
    const times: bigint[] = [];
    let bytes = 0;
    const perRecord = opts?.timesUnixNano;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i] as Uint8Array;
      if (p.length > this.options.payloadBytesMax)
        throw new WalPayloadTooLargeError(p.length, this.options.payloadBytesMax);
      const ti = perRecord?.[i] ?? t;
      const f = buildFrame(type, ti, p);
      frames.push(f);
      times.push(ti);
      bytes += f.length;
    }
    return [frames, times, bytes];
  }

  private frameTypeOf(opts: AppendOptions | undefined): number {
    const type = opts?.type ?? FrameType.RECORD;
    if (!Number.isInteger(type) || type < 1 || type > 127 || type === FrameType.FOOTER) {
      throw new OtelAuditError('INVALID_ARGUMENT', `invalid frame type ${type}: use 1, 3 or 4..127`);
    }
    return type;
  }

  /** `build` for `appendFramedBatch`: the frames' headers are written in place. */
  private buildAround(
    frames: readonly Buffer[],
    opts: BatchAppendOptions | undefined,
  ): [Buffer[], bigint[], number] {
    const type = this.frameTypeOf(opts);
    const t = opts?.timeUnixNano ?? this.options.clock();
    const out: Buffer[] = new Array<Buffer>(frames.length);
    const times: bigint[] = new Array<bigint>(frames.length);
    const perRecord = opts?.timesUnixNano;
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (!Buffer.isBuffer(f) || f.length < FRAME_OVERHEAD_BYTES)
        throw new OtelAuditError(
          'INVALID_ARGUMENT',
          `frame ${i} is not a Buffer of at least ${FRAME_OVERHEAD_BYTES} bytes`,
        );
      const payloadBytes = f.length - FRAME_OVERHEAD_BYTES;
      if (payloadBytes > this.options.payloadBytesMax)
        throw new WalPayloadTooLargeError(payloadBytes, this.options.payloadBytesMax);
      const ti = perRecord?.[i] ?? t;
      frameAround(f, type, ti);
      out[i] = f;
      times[i] = ti;
      bytes += f.length;
    }
    return [out, times, bytes];
  }

  /** Builds and queues a batch; `framed`: the payloads are frames with room (`appendFramedBatch`). */
  private enqueue(
    payloads: readonly Uint8Array[],
    opts: BatchAppendOptions | undefined,
    framed = false,
  ): Promise<number> {
    try {
      this.checkOpen();
      const [frames, times, bytes] = framed
        ? this.buildAround(payloads as readonly Buffer[], opts)
        : this.build(payloads, opts);
      return this.enqueueQueued(frames, times, bytes);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Queues items under the queue bound and its policy; resolves with the first one's sequence number once durable. */
  private enqueueQueued(frames: Queued[], times: bigint[], bytes: number): Promise<number> {
    if (performance.now() < this.failFastUntilMs && this.lastFailure) {
      if (this.lastFailure instanceof WalDiskFullError) this.counters.refusedAppends++;
      return Promise.reject(this.lastFailure);
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { frames: frames.length, bytes, resolve, reject };
      const fits =
        this.blockedCount === 0 &&
        this.queuedRecords + frames.length <= this.options.queueRecordsMax &&
        this.queuedBytes + bytes <= this.options.queueBytesMax;
      const aloneTooBig = this.queuedRecords === 0 && this.blockedCount === 0;
      if (fits || aloneTooBig) {
        this.accept(frames, times, waiter);
      } else if (this.options.whenQueueFull === 'reject') {
        this.counters.refusedAppends++;
        reject(
          new WalQueueFullError(
            `WAL queue full (${this.queuedRecords} records, ${this.queuedBytes} bytes waiting for durability)`,
          ),
        );
      } else if (this.blockedBytes + bytes > this.options.queueBytesMax) {
        // Waiting appenders are bounded too: memory stays under twice the queue bound.
        this.counters.refusedAppends++;
        reject(
          new WalQueueFullError(`WAL queue full and ${this.blockedCount} appends already waiting for room`),
        );
      } else {
        this.blockedBytes += bytes;
        this.blocked.push({ frames, times, waiter });
      }
    });
  }

  private accept(frames: Queued[], times: bigint[], waiter: Waiter): void {
    for (let i = 0; i < frames.length; i++) {
      this.frames.push(frames[i] as Queued);
      this.times.push(times[i] as bigint);
    }
    this.waiters.push(waiter);
    this.queuedRecords += frames.length;
    this.queuedBytes += waiter.bytes;
    this.scheduleFlush();
  }

  /** Moves waiting appends into the queue, in order, while they fit (`all`: every one of them). */
  private admitBlocked(all = false): void {
    while (this.blockedCount > 0) {
      const b = this.blocked[this.blockedHead] as Blocked;
      const fits =
        this.queuedRecords + b.frames.length <= this.options.queueRecordsMax &&
        this.queuedBytes + b.waiter.bytes <= this.options.queueBytesMax;
      if (!all && !fits && this.queuedRecords > 0) return;
      this.blockedHead++;
      if (this.blockedHead === this.blocked.length) {
        this.blocked = [];
        this.blockedHead = 0;
      } else if (this.blockedHead >= 1024 && this.blockedHead * 2 >= this.blocked.length) {
        this.blocked = this.blocked.slice(this.blockedHead);
        this.blockedHead = 0;
      }
      this.blockedBytes -= b.waiter.bytes;
      this.accept(b.frames, b.times, b.waiter);
    }
  }

  private scheduleFlush(): void {
    // The running flush loop takes the new appends (while a commit syncs, as the next one: `flushLoop`).
    if (this.flushing) {
      this.wake();
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = (): void => {
      this.flushTimer = undefined;
      this.flushScheduled = false;
      void this.flushLoop();
    };
    // Closing commits at once: a shutdown must not wait out the delay (up to 10 s) past its deadline.
    if (this.options.commitDelayMs > 0 && !this.closing)
      this.flushTimer = setTimeout(run, this.options.commitDelayMs);
    // Without a sync nothing in a commit waits for I/O: appenders that append again when acknowledged
    // would commit in microtasks forever and starve timers and I/O. One event-loop turn per commit.
    else if (this.options.syncPolicy === 'none') setImmediate(run);
    else queueMicrotask(run);
  }

  /**
   * Takes everything queued as the next batch, building deferred records now
   * (in order), and assigns sequence numbers.
   */
  private takeQueued(): Batch {
    const queued = this.frames;
    const queuedTimes = this.times;
    const waiters = this.waiters;
    this.frames = [];
    this.times = [];
    this.waiters = [];
    const firstSeq = this.nextSeq;
    const snapshot = this.sequencer?.snapshot();
    let frames: Buffer[];
    let times: bigint[];
    let waiterSeqs: number[] | undefined;
    if (!queued.some((q) => !Buffer.isBuffer(q))) {
      frames = queued as Buffer[];
      times = queuedTimes;
    } else {
      try {
        ({ frames, times, waiterSeqs } = this.materialize(queued, queuedTimes, waiters, firstSeq));
      } catch (err) {
        // A record that cannot be built fails its whole batch: the sequencer's state may have moved.
        this.sequencer?.restore(snapshot);
        // Retryable for every waiter: the batch mixes producers, and one record's fault (even a
        // permanent one) must not make the others' senders drop their records.
        const e = new WalBuildFailedError(
          `a deferred record could not be built, its batch is not written: ${err instanceof Error ? err.message : String(err)}`,
          err,
        );
        for (const w of waiters) {
          this.queuedRecords -= w.frames;
          this.queuedBytes -= w.bytes;
          w.reject(e);
        }
        return { frames: [], times: [], waiters: [], firstSeq, snapshot, waiterSeqs: undefined };
      }
    }
    this.nextSeq += frames.length;
    return { frames, times, waiters, firstSeq, snapshot, waiterSeqs };
  }

  private materialize(
    queued: readonly Queued[],
    queuedTimes: readonly bigint[],
    waiters: readonly Waiter[],
    firstSeq: number,
  ): { frames: Buffer[]; times: bigint[]; waiterSeqs: number[] } {
    {
      const frames: Buffer[] = [];
      const times: bigint[] = [];
      const waiterSeqs: number[] = [];
      let item = 0;
      for (const w of waiters) {
        waiterSeqs.push(firstSeq + frames.length);
        for (let k = 0; k < w.frames; k++, item++) {
          const q = queued[item] as Queued;
          if (Buffer.isBuffer(q)) {
            frames.push(q);
            times.push(queuedTimes[item] as bigint);
            continue;
          }
          const built = q.deferred.build();
          // The owner size-checks deferred records when they are queued; a payload over the limit here
          // would be a frame too large to read back, so the batch fails (retryably) instead.
          if (built.payload.length > this.options.payloadBytesMax)
            throw new WalPayloadTooLargeError(built.payload.length, this.options.payloadBytesMax);
          const type = built.type ?? FrameType.RECORD;
          const framed = built.framed;
          if (framed !== undefined && isFrameAround(framed, built.payload)) {
            frameAround(framed, type, built.timeUnixNano);
            frames.push(framed);
          } else {
            frames.push(buildFrame(type, built.timeUnixNano, built.payload));
          }
          times.push(built.timeUnixNano);
          for (const x of built.extra ?? []) {
            frames.push(buildFrame(x.type, x.timeUnixNano, x.payload));
            times.push(x.timeUnixNano);
          }
        }
      }
      return { frames, times, waiterSeqs };
    }
  }

  /**
   * The group commit. Takes everything queued as a batch, writes it (on the thread pool when it can) and
   * syncs it; a batch is acknowledged when its sync returns. With `commitsInFlightMax` 2 the next batch is
   * taken and written while the previous one's sync is still running (its sync is issued when that one
   * returns: `startNextSync`), so a request does not wait for a whole write-and-sync before its own
   * write starts. Both are then unsynced at once: the later one is written without BATCH_START (for
   * recovery they are one write), and when the earlier one fails the later one fails first (`failLater`),
   * so their numbers are given back in order.
   */
  private async flushLoop(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const max =
          this.options.syncPolicy === 'none' || this.options.commitDelayMs > 0
            ? 1
            : this.options.commitsInFlightMax;
        if (this.waiters.length === 0 || this.inFlight.length >= max) {
          if (this.inFlight.length === 0) break;
          await this.nextProgress();
          continue;
        }
        const preparation = this.writer.preparationToAwait(this.queuedBytes);
        if (preparation) await waitAtMost(preparation, PREPARATION_WAIT_MS_MAX);
        const batch = this.takeQueued();
        if (batch.frames.length === 0) {
          // Flush markers (or a batch whose records could not be built, already rejected): they share the
          // outcome of the newest commit in flight, if any.
          const newest = this.newestInFlight();
          if (newest !== undefined) newest.batch.waiters.push(...batch.waiters);
          else this.completeBatch(batch);
          continue;
        }
        if (this.options.syncPolicy === 'none') {
          // Without a sync the commit is acknowledged at once after its write, synchronously.
          if (this.writeBatch(batch) !== undefined) this.completeBatch(batch);
          continue;
        }
        await this.commit(batch);
      }
    } finally {
      if (this.inFlight.length === 0) this.writer.closeRetired();
      this.flushing = false;
      if (this.waiters.length > 0) this.scheduleFlush();
    }
  }

  /**
   * Writes a taken batch as a commit in flight (`flushLoop`), at once (its numbers were just given: nothing
   * may be written before it); returns once its write is done or it failed. Written while an earlier commit
   * is still in flight, it is written as a strict append is then (`continuesWrite`): on the thread pool when
   * it fits in the active segment, else on this thread, rolling over if it must (the seal syncs the earlier
   * commit's segment).
   */
  private async commit(batch: Batch): Promise<void> {
    const c: InFlightCommit = { batch, file: undefined, written: false, syncing: false };
    // From here until its sync returns, the commit has I/O in flight: strict appends write after it (without
    // BATCH_START, after writing its bytes again if its write is still in flight), and no file is closed.
    this.inFlight.push(c);
    const continuesWrite = this.inFlight.length > 1;
    if (this.refused(batch)) {
      this.dropInFlight(c);
      return;
    }
    const started = this.writer.writeFramesAsync(batch, batch.firstSeq, continuesWrite);
    if (started === undefined) {
      const file = this.writeBatch(batch, continuesWrite);
      if (file === undefined) {
        this.dropInFlight(c);
        // Its write failed and abandoned the segment: an earlier commit still syncing in it fails too.
        this.failInFlightEarly();
        this.startNextSync();
        return;
      }
      c.file = file;
    } else {
      c.file = started.file;
      if (!(await this.awaitWrite(c, started.written))) return;
    }
    c.written = true;
    this.startNextSync();
  }

  /** Issues the sync of the oldest commit in flight once it is written; drops failed ones that need none. */
  private startNextSync(): void {
    for (;;) {
      const c = this.inFlight[0];
      if (c === undefined || c.syncing || !c.written) return;
      if (this.failedEarly.has(c.batch)) {
        this.dropInFlight(c);
        continue;
      }
      c.syncing = true;
      const file = c.file as FileHandle;
      (this.options.syncPolicy === 'fsync' ? file.fsync() : file.datasync()).then(
        () => this.synced(c, undefined),
        (err: unknown) => this.synced(c, { error: err }),
      );
      return;
    }
  }

  /** A commit's sync returned (`failed`: with an error): acknowledges or fails it, then syncs the next. */
  private synced(c: InFlightCommit, failed: { error: unknown } | undefined): void {
    const file = c.file as FileHandle;
    this.dropInFlight(c);
    if (!this.failedEarly.has(c.batch)) {
      if (failed === undefined && !this.syncFailedFiles.has(file)) this.completeBatch(c.batch);
      else {
        this.syncFailedFiles.add(file);
        // Even when a strict append's sync already covered it (`durableAlready`): nothing is acknowledged
        // after its own sync failed (the disk may be gone: a power loss looks like this to the process).
        const err =
          failed === undefined
            ? new WalSyncFailedError('another sync of this segment failed while this one was in flight')
            : new WalSyncFailedError(
                'fdatasync failed; batch not acknowledged, segment abandoned',
                failed.error,
              );
        // The commits after it in the same file fail first (their numbers go back in order); one that rolled
        // over to a new segment (whose seal synced this commit's frames) fails only if this failure
        // abandons its segment.
        this.failLater(file, err);
        this.failBatch(c.batch, err);
        this.failInFlightEarly();
      }
    }
    this.startNextSync();
    this.wake();
  }

  /**
   * Fails the commits in flight written to `file` (all later than the one whose sync failed) that are not
   * durable already, newest first.
   */
  private failLater(file: FileHandle, err: Error): void {
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const c = this.inFlight[i] as InFlightCommit;
      if (c.file !== file || this.failedEarly.has(c.batch) || this.durableAlready(c.batch)) continue;
      this.failedEarly.add(c.batch);
      this.failBatch(c.batch, err);
    }
  }

  /** Removes a commit from those in flight; closes retired segment files once none is left. */
  private dropInFlight(c: InFlightCommit): void {
    const i = this.inFlight.indexOf(c);
    if (i >= 0) this.inFlight.splice(i, 1);
    if (this.inFlight.length === 0) this.writer.closeRetired();
    this.wake();
  }

  /** The sequencer's state before the oldest commit in flight that has not failed (none: undefined). */
  private oldestPendingSnapshot(): unknown {
    for (const c of this.inFlight) if (!this.failedEarly.has(c.batch)) return c.batch.snapshot;
    return undefined;
  }

  /** The newest commit in flight that has not failed (flush markers share its outcome). */
  private newestInFlight(): InFlightCommit | undefined {
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const c = this.inFlight[i] as InFlightCommit;
      if (!this.failedEarly.has(c.batch)) return c;
    }
    return undefined;
  }

  /** Resolves at the next settled commit or new append (`wake`). */
  private nextProgress(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.wakeLoop;
      this.wakeLoop = () => {
        previous?.();
        resolve();
      };
    });
  }

  private wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = undefined;
    w?.();
  }

  /**
   * Waits for a group commit's write on the thread pool. A failure is the same as `writeBatch`'s: the batch
   * is rejected with the same typed error and its segment abandoned — unless a strict append wrote the
   * same bytes meanwhile (SegmentWriter.endWrite): they are in the file, and the batch goes on to its sync
   * (a strict append's sync may already have made it durable and readable; rejecting it would have its
   * producer store it twice, and with a sequencer break the WAL). False when the batch must not be
   * synced: its write failed, or it failed early meanwhile (a strict append's write or sync of its segment
   * failed, or an earlier commit failed); it is then no longer in flight. A failed write abandons the
   * segment, so an earlier commit still syncing in it fails too (`failInFlightEarly`).
   */
  private async awaitWrite(c: InFlightCommit, written: Promise<void>): Promise<boolean> {
    const batch = c.batch;
    await written;
    // Until here the write counted as in flight (a strict append meanwhile wrote its bytes first).
    const failed = this.writer.endWrite();
    if (failed === undefined && !this.failedEarly.has(batch)) return true;
    this.dropInFlight(c);
    if (failed !== undefined && !this.failedEarly.has(batch)) {
      // Into an existing segment: no failure back-off, as for a synchronous write into one.
      this.failWrite(batch, failed.error, false);
      this.failInFlightEarly();
    }
    this.startNextSync();
    return false;
  }

  /**
   * Writes a taken batch; on failure rejects it and returns undefined. `continuesWrite`: a commit's I/O is
   * in flight (this is a strict append; see SegmentWriter.writeFrames).
   */
  private writeBatch(batch: Batch, continuesWrite = false): FileHandle | undefined {
    if (this.refused(batch)) return undefined;
    try {
      return this.writer.writeFrames(batch, batch.firstSeq, (s) => this.addSegment(s), continuesWrite);
    } catch (err) {
      this.failWrite(batch, err, !this.writer.activeInfo);
      return undefined;
    }
  }

  /** Rejects a batch refused before any write (the WAL is broken, or backing off after a failure). */
  private refused(batch: Batch): boolean {
    if (this.broken) {
      // Queued before the WAL failed: it cannot safely go on, so nothing more is written or acknowledged.
      this.failBatch(batch, this.broken, false);
      return true;
    }
    if (performance.now() < this.failFastUntilMs && this.lastFailure) {
      this.failBatch(batch, this.lastFailure, false);
      return true;
    }
    return false;
  }

  /**
   * A batch's write failed (synchronously, or on the thread pool): rejected, segment abandoned; `creating`
   * (no active segment when it failed: its creation failed) starts the failure back-off.
   */
  private failWrite(batch: Batch, err: unknown, creating: boolean): void {
    const e = wrapIo(err, 'WAL write failed');
    // A failed segment creation left its file behind: the WAL cannot safely go on (reopen to recover).
    if (e instanceof WalFailedError) this.broken = e;
    this.failBatch(batch, e);
    if (creating) this.failFastUntilMs = performance.now() + this.options.failureBackoffMs;
  }

  /** A new segment replaces an empty one of the same name (a boundary kept by recovery, see recover.ts). */
  private addSegment(s: SegmentInfo): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.name === s.name && last.lastSeq < last.firstSeq) this.segments.pop();
    this.segments.push(s);
    // A rollover; or the first segment since an open that found records beyond the mark (a crash since the
    // mark was written, or a WAL from before marks). The first segment after a clean close adds nothing.
    if (this.writer.sealedSegments > 0 || this.durable > (this.mark?.markSeq ?? 0))
      this.markDueSeqs.push(s.firstSeq);
  }

  /** First seq of the newest segment starting at or before `seq` (the one holding it when `seq` is durable). */
  private segmentOf(seq: number): number | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i] as SegmentInfo;
      if (s.firstSeq <= seq) return s.firstSeq;
    }
    return undefined;
  }

  private completeBatch(batch: Batch): void {
    let seq = batch.firstSeq;
    this.durable = Math.max(this.durable, batch.firstSeq + batch.frames.length - 1);
    this.counters.commits++;
    // What the sequencer built for commits still in flight (written meanwhile) is not durable yet.
    if (batch.frames.length > 0) this.sequencer?.durable?.(this.oldestPendingSnapshot());
    for (const [i, w] of batch.waiters.entries()) {
      this.queuedRecords -= w.frames;
      this.queuedBytes -= w.bytes;
      w.resolve(batch.waiterSeqs?.[i] ?? seq);
      seq += w.frames;
    }
    this.admitBlocked();
    for (const l of [...this.durableListeners]) l();
    // The mark (HighWaterMarkKeeper, on the thread pool): at once when this commit created a segment (its
    // numbers can no longer be given back, nor its segment removed), else at most once per interval.
    if (this.mark !== undefined && batch.frames.length > 0) {
      const durable = this.durable;
      if (this.markDueSeqs.some((seq) => seq <= durable)) {
        this.markDueSeqs = this.markDueSeqs.filter((seq) => seq > durable);
        this.mark.writeNow();
      } else this.mark.acknowledged();
    }
  }

  /**
   * Rejects a batch, abandons the segment it may have partly reached, and
   * lets the next batch reuse its sequence numbers in a new segment.
   */
  private failBatch(batch: Batch, err: Error, abandon = true): void {
    this.lastFailure = err;
    this.counters.failedBatches++;
    if (abandon) this.writer.abandon();
    if (this.inFlight.length === 0) this.writer.closeRetired();
    if (this.nextSeq === batch.firstSeq + batch.frames.length) {
      this.nextSeq = batch.firstSeq;
      if (this.sequencer) this.sequencer.restore(batch.snapshot);
      for (const s of this.segments)
        if (s.lastSeq >= batch.firstSeq) s.lastSeq = Math.max(s.firstSeq - 1, batch.firstSeq - 1);
      this.markDueSeqs = this.markDueSeqs.filter((seq) => seq < batch.firstSeq);
      this.removeSegmentsOfFailedBatch(batch.firstSeq);
    } else if (this.sequencer) {
      // Later frames were built on this batch's position-dependent state: only a reopen can sort it out.
      this.broken = new WalFailedError(
        'a failed batch was followed by a strict append; reopen the WAL to recover',
        err,
      );
    }
    if (abandon) this.restoreBoundary();
    for (const w of batch.waiters) {
      this.queuedRecords -= w.frames;
      this.queuedBytes -= w.bytes;
      w.reject(err);
    }
    this.admitBlocked();
  }

  /**
   * Puts the recovery's boundary segment (`boundary`) back when the segment that replaced it is gone (its
   * commit failed) and no record after it is durable yet: by rename over whatever has its name, so there
   * is no moment without it. If that fails the WAL refuses appends until reopened (recovery then decides).
   */
  private restoreBoundary(): void {
    const b = this.boundary;
    if (b === undefined || this.broken) return;
    if (this.durable >= b.firstSeq) {
      this.boundary = undefined;
      return;
    }
    const last = this.segments[this.segments.length - 1];
    if (last === b) {
      // Replaced by a segment whose creation failed after its rename, and that was removed (SegmentWriter).
      if (this.options.fs.exists(b.path)) return;
      this.segments.pop();
    } else if (last !== undefined && last.firstSeq >= b.firstSeq) return; // a live segment replaced it
    try {
      const restored = createBoundarySegment({
        fs: this.options.fs,
        dir: this.options.dir,
        firstSeq: b.firstSeq,
        segmentNumber: b.segmentNumber,
        segmentBytesMax: this.options.segmentBytesMax,
        createdUnixNano: this.options.clock(),
      });
      this.segments.push(restored);
      this.boundary = restored;
    } catch (err) {
      this.broken = new WalFailedError(
        `cannot restore the boundary segment ${b.name} after a failed commit; reopen the WAL to recover`,
        err,
      );
    }
  }

  /**
   * Whether a batch's records are durable already (`durableSeq` covers them: a strict append written after
   * them synced them and was acknowledged), before its own sync returned. A later strict append's failure
   * in its segment cannot take them back, and they are given to readers: failing the batch early for it
   * would have its producer store them twice, and with a sequencer break the WAL. (Its own sync still
   * decides: a batch whose own sync fails is rejected, as before — and so is one whose own sync succeeds
   * after another sync of its segment failed meanwhile (`syncFailedFiles`, flushLoop): its records stay
   * readable, and its producer, told it failed, may store them again. guarantees.md §3 lists these
   * duplicates; the torture oracle counts an acknowledgement after a failed sync as a loss risk.)
   */
  private durableAlready(batch: Batch): boolean {
    return batch.frames.length > 0 && this.durable >= batch.firstSeq + batch.frames.length - 1;
  }

  /**
   * A strict append failed on the file whose group-commit write or sync is
   * still running: that sync cannot be trusted (fsyncgate), or the segment was
   * abandoned under it, so its batch fails now — after the later strict batch,
   * so both give back their numbers in order and the log keeps no gap. Not a
   * batch that is durable already (`durableAlready`).
   */
  private failInFlightEarly(): void {
    // The oldest commit that must fail; every later one (same segment, or not written yet) fails with it,
    // newest first, so that their numbers go back in order.
    let from = -1;
    for (let i = 0; i < this.inFlight.length && from < 0; i++) {
      const c = this.inFlight[i] as InFlightCommit;
      if (this.failedEarly.has(c.batch) || this.durableAlready(c.batch) || c.file === undefined) continue;
      if (this.syncFailedFiles.has(c.file) || this.writer.wasAbandoned(c.file)) from = i;
    }
    if (from < 0) return;
    for (let i = this.inFlight.length - 1; i >= from; i--) {
      const c = this.inFlight[i] as InFlightCommit;
      if (this.failedEarly.has(c.batch) || this.durableAlready(c.batch)) continue;
      this.failedEarly.add(c.batch);
      if (c.file !== undefined && this.syncFailedFiles.has(c.file)) {
        this.failBatch(
          c.batch,
          new WalSyncFailedError('a sync of this segment failed while this batch was being synced'),
        );
      } else {
        // The strict append failed in this batch's segment (its write, or its rewrite of this batch's bytes
        // still on the thread pool: SegmentWriter `rewriteInFlight`) and abandoned it. Left to finish, this
        // batch's frames could be lost to a power loss while a later commit, in a new segment numbered after
        // them, is already durable: a gap recovery reports as corruption. It fails now, with the same error,
        // and gives its numbers back, so the next commit's segment starts at them (its frames are leftovers).
        this.failBatch(c.batch, this.lastFailure ?? new WalSyncFailedError('the batch could not be written'));
      }
    }
  }

  /**
   * Segments the failed batch created hold nothing but its rejected records,
   * and the next batch reuses their numbers in a new segment: they must go,
   * durably, or a reopen would read the rejected records in place of the new
   * ones. If they cannot be removed the WAL refuses further appends until it
   * is reopened (recovery then keeps them as unacknowledged records).
   */
  private removeSegmentsOfFailedBatch(firstSeq: number): void {
    while (this.segments.length > 0) {
      const last = this.segments[this.segments.length - 1] as SegmentInfo;
      if (last.firstSeq < firstSeq) return;
      // Recovery's boundary holds no record of the batch: it stays (`restoreBoundary` checks its file).
      if (last === this.boundary) return;
      if (last.firstSeq === this.boundary?.firstSeq) {
        // It replaced the boundary: `restoreBoundary` puts the boundary back over it (by rename), never a
        // moment without either.
        this.segments.pop();
        continue;
      }
      try {
        this.options.fs.remove(last.path);
        this.options.fs.syncDir(this.options.dir);
      } catch (err) {
        this.broken = new WalFailedError(
          `cannot remove segment ${last.name} of a failed batch; reopen the WAL to recover`,
          err,
        );
        return;
      }
      this.segments.pop();
    }
  }

  private waitForDurable(): Promise<void> {
    return new Promise((resolve) => {
      const l = (): void => {
        this.durableListeners.delete(l);
        resolve();
      };
      this.durableListeners.add(l);
    });
  }
}

/** True when `payload` is exactly the payload room of `frame` (same memory): the frame can be written in place. */
function isFrameAround(frame: Buffer, payload: Uint8Array): boolean {
  return (
    payload.buffer === frame.buffer &&
    payload.byteOffset === frame.byteOffset + FRAME_HEADER_BYTES &&
    payload.byteLength === frame.byteLength - FRAME_OVERHEAD_BYTES
  );
}
