/**
 * Opening refused: the WAL ends before its high-water mark (HighWaterMark.ts),
 * so records that were durable (acknowledged, or about to be) are missing —
 * a lost or truncated newest segment, or damage at its end that would
 * otherwise pass for a torn final write. Code `WAL_CORRUPT`. Nothing was cut,
 * removed or sealed in the newest segment: the evidence stays as found.
 */
import { WalCorruptError } from '../errors.ts';
import { HIGH_WATER_MARK_FILE } from './HighWaterMark.ts';

export interface RecordsLost {
  /** The high-water mark: the last sequence number that was durable. */
  readonly expectedLastSeq: number;
  /** The last intact record before the loss (what recovery would have kept as a torn tail's end). */
  readonly foundLastSeq: number;
  /** The segment the mark names (the one that held `expectedLastSeq`). */
  readonly expectedSegment: string;
  /** Whether that segment file is there. */
  readonly expectedSegmentPresent: boolean;
  /** The newest segment found, undefined when there is none. */
  readonly newestSegment: string | undefined;
  /**
   * When the mark was written (its `updated` field, unix ns): tells a stale or foreign mark (a file copied in
   * from another WAL or backup) from a recent one. Optional for callers building the error themselves.
   */
  readonly markUpdatedUnixNano?: bigint;
}

/** ISO time of a unix-ns instant, or a note when it is not a representable date. */
function isoOf(unixNano: bigint): string {
  const ms = Number(unixNano / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `unix ns ${unixNano}` : d.toISOString();
}

export class WalRecordsLostError extends WalCorruptError {
  readonly lost: RecordsLost;

  constructor(dir: string, lost: RecordsLost) {
    const l = lost;
    super(
      `WAL ${dir}: records ${l.foundLastSeq + 1}..${l.expectedLastSeq} are missing or damaged: the high-water ` +
        `mark (${HIGH_WATER_MARK_FILE}${l.markUpdatedUnixNano === undefined ? '' : `, written ${isoOf(l.markUpdatedUnixNano)}`}) says sequence numbers up to ${l.expectedLastSeq} were durable in segment ` +
        `${l.expectedSegment} (${l.expectedSegmentPresent ? 'present' : 'MISSING'}), but the intact records ` +
        `end at ${l.foundLastSeq} (newest segment: ${l.newestSegment ?? 'none'}). The newest segment was left as found (nothing in it cut, sealed or removed). ` +
        `Restore the missing or damaged segment from a backup and open again; or archive the whole directory ` +
        `and open once with acceptLostRecordsThroughSeq: ${l.expectedLastSeq} ` +
        `(audit_wal: accept_lost_records_through_seq: ${l.expectedLastSeq}) to accept the loss ` +
        `(docs/recovery.md §9)`,
    );
    this.lost = lost;
  }
}
