/**
 * Walks the frames of one segment in order and classifies what it finds.
 *
 * Rules (see docs/wal-format.md, "Recovery"):
 * - Frames must carry consecutive sequence numbers starting at the header's
 *   first sequence number. A frame whose number is below the expected one is
 *   a duplicate (reported, skipped); above it, a gap (reported).
 * - Frames numbered at or beyond `seqLimit` (the next segment's first number)
 *   are leftovers of a batch that failed and was rewritten in the next
 *   segment: never acknowledged, ignored — unless frames numbered below the
 *   limit (or a FOOTER whose last number counts them) follow: then they are damage (`bad-frame`, a
 *   frame renumbered inside the data) and the walk goes on after them.
 * - A FOOTER frame ends the segment's data.
 * - At a bad frame the walk looks for any valid frame after it. None: the
 *   segment's data ends there (`tail`). Some: the bytes in between are a
 *   damaged region and the walk goes on from the next valid frame.
 */
import type { CheckedFrame, FrameScanner } from './FrameScanner.ts';
import {
  FRAME_FLAG_BATCH_START,
  FrameType,
  SEGMENT_HEADER_BYTES,
  type FrameMeta,
  type IndexEntry,
} from './format.ts';

export type DamageKind = 'bad-frame' | 'zeroed' | 'duplicate' | 'gap';

export interface DamagedRegion {
  readonly kind: DamageKind;
  readonly offsetFrom: number;
  readonly offsetTo: number;
  /** Sequence numbers lost in this region, inclusive; undefined when none are. */
  readonly seqFrom: number | undefined;
  readonly seqTo: number | undefined;
  /** A frame after this region starts a later write: the damage is not a torn final write. */
  readonly laterBatchFollows: boolean;
}

export interface SegmentWalkResult {
  readonly recordCount: number;
  readonly lastSeq: number;
  readonly minTimeUnixNano: bigint;
  readonly maxTimeUnixNano: bigint;
  /** Offset after the last frame accepted. */
  readonly dataEnd: number;
  /** Offset of a FOOTER frame met, if any. */
  readonly footerOffset: number | undefined;
  readonly damage: readonly DamagedRegion[];
  /** Offset of unreadable bytes after the last valid frame (not all zero): a torn write. */
  readonly tailGarbageOffset: number | undefined;
  readonly index: readonly IndexEntry[];
  /** Offset of the first frame numbered >= seqLimit, when such leftovers exist. */
  readonly leftoverOffset: number | undefined;
}

export interface SegmentWalkOptions {
  readonly scanner: FrameScanner;
  readonly firstSeq: number;
  readonly seqLimit: number;
  readonly end?: number;
  readonly indexIntervalBytes: number;
  /**
   * Called for every accepted frame; the payload view is valid only during the call. Without it, frames
   * are only checked (`FrameScanner.check`): a frame larger than the scanner's chunk is not held whole.
   */
  readonly onFrame?: (meta: FrameMeta, payload: Buffer) => void;
}

export function walkSegment(o: SegmentWalkOptions): SegmentWalkResult {
  const { scanner } = o;
  const end = Math.min(o.end ?? scanner.size, scanner.size);
  const damage: DamagedRegion[] = [];
  const index: IndexEntry[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  let expect = o.firstSeq;
  let count = 0;
  let minTs: bigint | undefined;
  let maxTs: bigint | undefined;
  let dataEnd = pos;
  let footerOffset: number | undefined;
  let tailGarbageOffset: number | undefined;
  let leftoverOffset: number | undefined;
  let block: IndexEntry | undefined;

  const accept = (r: CheckedFrame & { readonly payload?: Buffer }): void => {
    const m = r.meta;
    if (!block || m.offset - block.offset >= o.indexIntervalBytes) {
      block = {
        firstSeq: m.seq,
        offset: m.offset,
        minTimeUnixNano: m.timeUnixNano,
        maxTimeUnixNano: m.timeUnixNano,
      };
      index.push(block);
    }
    if (m.timeUnixNano < block.minTimeUnixNano) block.minTimeUnixNano = m.timeUnixNano;
    if (m.timeUnixNano > block.maxTimeUnixNano) block.maxTimeUnixNano = m.timeUnixNano;
    if (minTs === undefined || m.timeUnixNano < minTs) minTs = m.timeUnixNano;
    if (maxTs === undefined || m.timeUnixNano > maxTs) maxTs = m.timeUnixNano;
    if (o.onFrame && r.payload) o.onFrame(m, r.payload);
    count++;
    expect = m.seq + 1;
    dataEnd = m.offset + m.frameBytes;
  };

  while (pos < end) {
    const r = o.onFrame ? scanner.at(pos, end) : scanner.check(pos, end);
    if (r.ok) {
      const m = r.meta;
      if (m.type === FrameType.FOOTER) {
        footerOffset = pos;
        break;
      }
      if (m.seq >= o.seqLimit) {
        const resumes = resumesAfterLeftovers(scanner, m, end, o.seqLimit, expect);
        if (resumes === undefined) {
          leftoverOffset = pos;
          break;
        }
        // Not leftovers: frames that number on below the limit (or a FOOTER counting records here) follow,
        // and a failed batch is the last thing written to its segment. A frame
        // renumbered past the segment (CRC valid: a bug or tampering) inside its data: damage, and the
        // intact frames after it are walked on. A writer's open must not seal here: that would overwrite
        // them (and it quarantines a damaged segment instead).
        const nm = resumes.meta;
        const lastLost = Math.min(nm.type === FrameType.FOOTER ? nm.seq : nm.seq - 1, o.seqLimit - 1);
        const lost = lastLost >= expect;
        damage.push(
          region('bad-frame', pos, nm.offset, lost ? expect : undefined, lost ? lastLost : undefined, true),
        );
        if (lost) expect = lastLost + 1;
        pos = nm.offset;
        continue;
      }
      if (m.seq < expect) {
        damage.push(region('duplicate', pos, pos + m.frameBytes, undefined, undefined, false));
        pos += m.frameBytes;
        continue;
      }
      if (m.seq > expect) {
        damage.push(region('gap', pos, pos, expect, m.seq - 1, (m.flags & FRAME_FLAG_BATCH_START) !== 0));
      }
      accept(r);
      pos = dataEnd;
      continue;
    }
    const next = scanner.findNextValid(pos + 1, end);
    if (next === undefined || !next.ok) {
      if (!(r.reason === 'zero' && scanner.isZero(pos, end))) tailGarbageOffset = pos;
      break;
    }
    const nm = next.meta;
    if (nm.type === FrameType.FOOTER) {
      // A footer's number is the segment's LAST record: the damage lost expect..that one. A sealed
      // segment was synced whole, so this is never a torn write.
      const lastLost = Math.min(nm.seq, o.seqLimit - 1);
      const lost = lastLost >= expect;
      damage.push(
        region(
          r.reason === 'zero' ? 'zeroed' : 'bad-frame',
          pos,
          nm.offset,
          lost ? expect : undefined,
          lost ? lastLost : undefined,
          true,
        ),
      );
      if (lost) expect = lastLost + 1;
      pos = nm.offset;
      continue;
    }
    if (nm.seq >= o.seqLimit) {
      // What follows belongs to a failed batch rewritten in the next segment.
      if (expect < o.seqLimit) {
        damage.push(
          region(r.reason === 'zero' ? 'zeroed' : 'bad-frame', pos, nm.offset, expect, o.seqLimit - 1, true),
        );
      }
      leftoverOffset = nm.offset;
      break;
    }
    const seqTo = Math.min(nm.seq, o.seqLimit) - 1;
    // Only the first damaged region decides torn-tail versus corruption, so only it pays for the look-ahead.
    const laterBatch =
      (nm.flags & FRAME_FLAG_BATCH_START) !== 0 ||
      (damage.length > 0 ? true : batchStartAfter(scanner, nm, end));
    damage.push(
      region(
        r.reason === 'zero' ? 'zeroed' : 'bad-frame',
        pos,
        nm.offset,
        seqTo >= expect ? expect : undefined,
        seqTo >= expect ? seqTo : undefined,
        laterBatch,
      ),
    );
    pos = nm.offset;
    // The region above already accounts for the numbers it lost.
    if (seqTo >= expect) expect = seqTo + 1;
  }
  return {
    recordCount: count,
    lastSeq: expect - 1,
    minTimeUnixNano: minTs ?? 0n,
    maxTimeUnixNano: maxTs ?? 0n,
    dataEnd,
    footerOffset,
    damage,
    tailGarbageOffset,
    index,
    leftoverOffset,
  };
}

function region(
  kind: DamageKind,
  offsetFrom: number,
  offsetTo: number,
  seqFrom: number | undefined,
  seqTo: number | undefined,
  laterBatchFollows: boolean,
): DamagedRegion {
  return { kind, offsetFrom, offsetTo, seqFrom, seqTo, laterBatchFollows };
}

/**
 * After a frame numbered at or past `seqLimit` (`from`) and any such frames right after it: the first valid
 * frame numbered below the limit, or a FOOTER whose last number is in [`expect`, limit) (it counts these
 * frames' places as records), if one comes before the frames end. Undefined: leftovers (followed by a
 * torn write, nothing, or the footer of a segment sealed with them).
 */
function resumesAfterLeftovers(
  scanner: FrameScanner,
  from: FrameMeta,
  end: number,
  seqLimit: number,
  expect: number,
): CheckedFrame | undefined {
  let pos = from.offset + from.frameBytes;
  while (pos < end) {
    const r = scanner.check(pos, end);
    if (!r.ok) return undefined;
    // A FOOTER's number is the segment's last record: one below the limit that counts records from
    // `expect` on counts these frames' places. The writer seals a segment with a failed batch's leftovers
    // before its footer, which then counts them (its last number is past the limit): leftovers.
    if (r.meta.type === FrameType.FOOTER)
      return r.meta.seq >= expect && r.meta.seq < seqLimit ? r : undefined;
    if (r.meta.seq < seqLimit) return r;
    pos += r.meta.frameBytes;
  }
  return undefined;
}

/** Is there a valid BATCH_START frame anywhere after `from` (following the chain of valid frames and resyncing)? */
function batchStartAfter(scanner: FrameScanner, from: FrameMeta, end: number): boolean {
  let pos = from.offset + from.frameBytes;
  while (pos < end) {
    const r = scanner.check(pos, end);
    const f = r.ok ? r : scanner.findNextValid(pos + 1, end);
    if (!f || !f.ok) return false;
    if (f.meta.type !== FrameType.FOOTER && (f.meta.flags & FRAME_FLAG_BATCH_START) !== 0) return true;
    pos = f.meta.offset + f.meta.frameBytes;
  }
  return false;
}
