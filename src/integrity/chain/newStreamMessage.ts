/**
 * The line the audit_wal exporter logs when the chain read from the WAL
 * cannot go on and new records start a new stream (`<base>-r<seq>`,
 * WalIntegrity.start). When the reason is a loss the WAL reports after the
 * stream's last frame, the line says whether that loss is the WAL's newest
 * frames (found now, at the stream's end) or an earlier one that frames of
 * other streams follow: a loss reported at every open (a missing segment
 * before an accepted loss's boundary) is taken for the stream's own when the
 * stream read has no record after it — its `stream_id` file was removed (the
 * records after the loss are those of the stream that loss already started),
 * or another `stream_id` was configured (a stream with no record in the WAL).
 * A new stream is right either way (the lost records may have been the
 * stream's); the line must not say the stream just lost records.
 */

/** A loss the WAL reported (recovery's report), WAL seqs `fromSeq..toSeq`. */
export interface ReportedLoss {
  readonly fromSeq: number;
  readonly toSeq: number;
  /** What recovery called it (`below the high-water mark`, `missing-segment`...). */
  readonly kind: string;
}

export interface NewStreamFacts {
  /** The stream read from the WAL; it ends where it is. */
  readonly streamId: string;
  /** The stream new records start. */
  readonly next: string;
  /** Records of `streamId` the WAL holds (recoverChain's chain size: 0 with no record nor checkpoint of it). */
  readonly records: number;
  /** recoverChain's `resumedAfterSeq`: the stream's last frame (its first seq - 1 without one). */
  readonly resumedAfterSeq: number;
  /**
   * The loss after `resumedAfterSeq` that starts the new stream; undefined when something else does (the
   * chain broken, a checkpoint published beyond the records in the WAL).
   */
  readonly lost: ReportedLoss | undefined;
  /** The WAL's last seq (its next seq - 1): frames after `lost` show that it is not the newest. */
  readonly walLastSeq: number;
}

/** The line, without the exporter's id. */
export function newStreamMessage(f: NewStreamFacts): string {
  const { streamId, next, lost } = f;
  if (lost === undefined || f.walLastSeq <= lost.toSeq)
    return `chain ${streamId} lost records; continuing as new stream ${next}`;
  const loss = `seqs ${lost.fromSeq}..${lost.toSeq} (${lost.kind})`;
  const after = `${lost.toSeq + 1}..${f.walLastSeq}`;
  if (f.records === 0) {
    return `chain ${streamId} has no record in the WAL, which lost ${loss} before frames ${after} of other streams: an earlier loss, not a new one, but records of ${streamId} may have been among them; starting as new stream ${next}`;
  }
  return `chain ${streamId} ends at WAL seq ${f.resumedAfterSeq}, before ${loss} the WAL lost earlier (frames ${after} after it are not of this stream): not a new loss, but records of ${streamId} may have been among them; continuing as new stream ${next}`;
}
