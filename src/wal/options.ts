/**
 * WAL options, their defaults and validation.
 */
import { WalBadOptionsError } from '../errors.ts';
import type { FileSystem } from './fs/FileSystem.ts';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import {
  FOOTER_FIXED_BYTES,
  FRAME_OVERHEAD_BYTES,
  INDEX_ENTRY_BYTES,
  SEGMENT_HEADER_BYTES,
} from './format.ts';
import type { PreallocateMode } from './SegmentWriter.ts';

/**
 * `fdatasync` (default) and `fsync` make every acknowledged record durable.
 * `none` never syncs: records survive a process crash but NOT a power loss.
 * It exists only for tests and benchmarks and is reported as non-durable
 * (`status().durable === false`, a warning at open).
 */
export type SyncPolicy = 'fdatasync' | 'fsync' | 'none';
export type QueueFullPolicy = 'block' | 'reject';

export interface WalOptions {
  readonly dir: string;
  readonly fs?: FileSystem;
  readonly syncPolicy?: SyncPolicy;
  readonly segmentBytesMax?: number;
  readonly payloadBytesMax?: number;
  /**
   * Extra time a commit waits to gather more appends (one commit in flight then); 0 commits as soon as the
   * previous commit's write returned (`commitsInFlightMax` 2) or its sync (1).
   */
  readonly commitDelayMs?: number;
  /**
   * Group commits with I/O in flight at once: 2 (default) writes the next commit while the previous one's
   * sync is running (its sync follows when that one returns); 1 writes a commit only after the previous
   * one is acknowledged. Always 1 with `commitDelayMs` > 0 or `syncPolicy: none`.
   */
  readonly commitsInFlightMax?: number;
  /** Bound on records accepted but not yet durable. */
  readonly queueRecordsMax?: number;
  /** Bound on bytes accepted but not yet durable. */
  readonly queueBytesMax?: number;
  readonly whenQueueFull?: QueueFullPolicy;
  readonly indexIntervalBytes?: number;
  readonly preallocate?: PreallocateMode;
  /** `tail` checks sealed segments through their footers; `full` checks every frame's CRC at open. */
  readonly verifyOnOpen?: 'tail' | 'full';
  /** After a failed segment creation, appends fail fast for this long before the next attempt. */
  readonly failureBackoffMs?: number;
  /** Wall clock in unix nanoseconds (injectable for clock-jump tests). */
  readonly clock?: () => bigint;
  /** The chain hash a new segment continues from (integrity layer); zeros by default. */
  readonly chainHead?: () => Uint8Array;
  readonly onWarning?: (message: string) => void;
  /**
   * The operator's way out after records were lost below the high-water mark (docs/recovery.md §9): the
   * open then goes on when the mark is at most this number, reports the loss as corruption and numbers
   * on after the mark. Unset (default): such an open fails with `WAL_CORRUPT`, leaving the newest segment as found
   * (leftover temporary files are removed and older segments may be sealed or quarantined first).
   */
  readonly acceptLostRecordsThroughSeq?: number;
  /**
   * While appends are acknowledged, the high-water mark (docs/wal-format.md §11) is advanced to the durable
   * seq at most once per this many milliseconds, on the thread pool, when the durable seq moved: records
   * acknowledged longer ago than this are covered (lost, they refuse the open). 0: only when a commit
   * that created a segment is acknowledged, and at close. Default 1000.
   */
  readonly highWaterMarkIntervalMs?: number;
}

/**
 * The largest `payloadBytesMax` the writer accepts, so the largest record payload any WAL it wrote
 * holds (128 MiB). Readers of untrusted WALs bound what they read and decode by it
 * (`readOnly.ts`, `integrity/verify/decodeStoredRecord.ts`).
 */
export const RECORD_PAYLOAD_BYTES_MAX = 128 * 1024 * 1024;

type OptionalWalOptions = 'onWarning' | 'acceptLostRecordsThroughSeq';
export type ResolvedWalOptions = Required<Omit<WalOptions, OptionalWalOptions>> &
  Pick<WalOptions, OptionalWalOptions>;

export const WAL_DEFAULTS = {
  syncPolicy: 'fdatasync',
  segmentBytesMax: 64 * 1024 * 1024,
  payloadBytesMax: 4 * 1024 * 1024,
  commitDelayMs: 0,
  commitsInFlightMax: 2,
  queueRecordsMax: 100_000,
  queueBytesMax: 64 * 1024 * 1024,
  whenQueueFull: 'block',
  indexIntervalBytes: 64 * 1024,
  preallocate: 'auto',
  verifyOnOpen: 'tail',
  failureBackoffMs: 1000,
  highWaterMarkIntervalMs: 1000,
} as const;

const ZERO_HASH = new Uint8Array(32);

let clockMs = -1;
let clockNs = 0n;

/** `Date.now()` in ns; the BigInt is made once per millisecond, not once per record. */
export function wallClockNs(): bigint {
  const ms = Date.now();
  if (ms !== clockMs) {
    clockMs = ms;
    clockNs = BigInt(ms) * 1_000_000n;
  }
  return clockNs;
}

export function resolveWalOptions(o: WalOptions): ResolvedWalOptions {
  const r: ResolvedWalOptions = {
    dir: o.dir,
    fs: o.fs ?? nodeFileSystem,
    syncPolicy: o.syncPolicy ?? WAL_DEFAULTS.syncPolicy,
    segmentBytesMax: o.segmentBytesMax ?? WAL_DEFAULTS.segmentBytesMax,
    payloadBytesMax: o.payloadBytesMax ?? WAL_DEFAULTS.payloadBytesMax,
    commitDelayMs: o.commitDelayMs ?? WAL_DEFAULTS.commitDelayMs,
    commitsInFlightMax: o.commitsInFlightMax ?? WAL_DEFAULTS.commitsInFlightMax,
    queueRecordsMax: o.queueRecordsMax ?? WAL_DEFAULTS.queueRecordsMax,
    queueBytesMax: o.queueBytesMax ?? WAL_DEFAULTS.queueBytesMax,
    whenQueueFull: o.whenQueueFull ?? WAL_DEFAULTS.whenQueueFull,
    indexIntervalBytes: o.indexIntervalBytes ?? WAL_DEFAULTS.indexIntervalBytes,
    preallocate: o.preallocate ?? WAL_DEFAULTS.preallocate,
    verifyOnOpen: o.verifyOnOpen ?? WAL_DEFAULTS.verifyOnOpen,
    failureBackoffMs: o.failureBackoffMs ?? WAL_DEFAULTS.failureBackoffMs,
    highWaterMarkIntervalMs: o.highWaterMarkIntervalMs ?? WAL_DEFAULTS.highWaterMarkIntervalMs,
    clock: o.clock ?? wallClockNs,
    chainHead: o.chainHead ?? (() => ZERO_HASH),
    onWarning: o.onWarning,
    ...(o.acceptLostRecordsThroughSeq === undefined
      ? {}
      : { acceptLostRecordsThroughSeq: o.acceptLostRecordsThroughSeq }),
  };
  const problems: string[] = [];
  const int = (name: keyof ResolvedWalOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = r[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
    }
  };
  if (typeof r.dir !== 'string' || r.dir === '') problems.push('dir must be a non-empty path');
  if (!['fdatasync', 'fsync', 'none'].includes(r.syncPolicy))
    problems.push(`syncPolicy must be fdatasync|fsync|none`);
  if (!['block', 'reject'].includes(r.whenQueueFull)) problems.push('whenQueueFull must be block|reject');
  if (!['auto', 'background', 'inline', 'off'].includes(r.preallocate))
    problems.push('preallocate must be auto|background|inline|off');
  if (!['tail', 'full'].includes(r.verifyOnOpen)) problems.push('verifyOnOpen must be tail|full');
  int('payloadBytesMax', 0, RECORD_PAYLOAD_BYTES_MAX);
  int('segmentBytesMax', 4096, 1024 * 1024 * 1024 * 4);
  int('commitDelayMs', 0, 10_000);
  int('commitsInFlightMax', 1, 2);
  int('queueRecordsMax', 1);
  int('queueBytesMax', 1);
  int('indexIntervalBytes', 512);
  int('failureBackoffMs', 0, 600_000);
  int('highWaterMarkIntervalMs', 0, 3_600_000);
  if (r.acceptLostRecordsThroughSeq !== undefined) int('acceptLostRecordsThroughSeq', 1);
  if (r.segmentBytesMax < SEGMENT_HEADER_BYTES + FRAME_OVERHEAD_BYTES + r.payloadBytesMax) {
    problems.push('segmentBytesMax must hold at least one frame of payloadBytesMax');
  }
  // A sealed segment's footer holds one index entry per indexIntervalBytes of data: it must stay a frame
  // every reader reads (read-only readers refuse frames over WAL_FRAME_BYTES_MAX as damage).
  const indexEntriesMax = Math.floor(r.segmentBytesMax / r.indexIntervalBytes) + 1;
  if (FOOTER_FIXED_BYTES + indexEntriesMax * INDEX_ENTRY_BYTES > RECORD_PAYLOAD_BYTES_MAX) {
    const intervalMin = Math.ceil(
      r.segmentBytesMax / ((RECORD_PAYLOAD_BYTES_MAX - FOOTER_FIXED_BYTES) / INDEX_ENTRY_BYTES - 1),
    );
    problems.push(
      `indexIntervalBytes ${r.indexIntervalBytes} gives a segment of segmentBytesMax ${r.segmentBytesMax} an index footer over ${RECORD_PAYLOAD_BYTES_MAX} bytes, which readers refuse; use at least ${intervalMin}`,
    );
  }
  if (r.queueBytesMax < r.payloadBytesMax + FRAME_OVERHEAD_BYTES) {
    problems.push('queueBytesMax must hold at least one frame of payloadBytesMax');
  }
  if (problems.length > 0) throw new WalBadOptionsError(problems.join('; '));
  return r;
}
