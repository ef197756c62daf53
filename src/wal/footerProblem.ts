/**
 * Read-only recovery's check of a segment's footer and trailer against its
 * frames, once the frames have been walked and found intact (recover.ts):
 * damage only there loses no record (the footer is redundant: a writer's
 * open walks such a segment and seals it again), but it is damage all the
 * same, and `verify` promises success only when everything is intact.
 *
 * Reported (`bad-footer`):
 * - a valid FOOTER frame whose claims do not match the frames walked (its
 *   first or last number, count, data end, time bounds, an index entry
 *   that does not point at a frame of that number, or an index block whose
 *   time bounds are not its frames'), or that does not decode:
 *   its CRC is valid, so it was written whole, never torn;
 * - in a segment that is not the newest (it was sealed and synced before the
 *   next one was created, seal.ts): a trailer that does not point at the
 *   FOOTER frame that ends the frames, or a trailer that points where the
 *   frames end while no valid FOOTER frame is there.
 * Not reported: in the newest segment, a FOOTER frame or trailer that is
 * missing or fails its CRC: a crash while sealing at close leaves exactly
 * that (recover.ts treats it as a torn final write).
 */
import type { FileHandle } from './fs/FileSystem.ts';
import type { FrameScanner } from './FrameScanner.ts';
import {
  decodeFooterPayload,
  decodeTrailer,
  FOOTER_FIXED_BYTES,
  FRAME_OVERHEAD_BYTES,
  INDEX_ENTRY_BYTES,
  SEGMENT_HEADER_BYTES,
  TRAILER_BYTES,
  type SegmentFooter,
} from './format.ts';
import type { SegmentWalkResult } from './SegmentWalk.ts';

export interface FooterProblem {
  /** Where: the FOOTER frame, or the trailer. */
  readonly offset: number;
  readonly what: string;
}

export function footerProblem(o: {
  readonly file: FileHandle;
  readonly scanner: FrameScanner;
  /** The segment's first sequence number (its header's). */
  readonly firstSeq: number;
  /** The walk of its frames, which found no damage. */
  readonly walk: SegmentWalkResult;
  readonly newest: boolean;
}): FooterProblem | undefined {
  const { scanner, walk } = o;
  const trailerAt = scanner.size - TRAILER_BYTES;
  const pointsAt = trailerAt >= SEGMENT_HEADER_BYTES ? readTrailer(o.file, trailerAt) : undefined;
  const at = walk.footerOffset;
  if (at === undefined) {
    // No valid FOOTER frame after the frames: where the trailer says it is, it is damaged.
    if (o.newest || pointsAt === undefined || pointsAt !== walk.dataEnd) return undefined;
    return {
      offset: pointsAt,
      what: 'the FOOTER frame the trailer points at is damaged (not a valid frame)',
    };
  }
  const r = scanner.at(at);
  if (!r.ok) return undefined; // the walk checked it a moment ago: changed meanwhile, not this check's to judge
  const shape = footerIndexProblem(r.payload, at);
  if (shape !== undefined) return { offset: at, what: shape };
  const footer = decodeFooterPayload(Buffer.from(r.payload));
  if (typeof footer === 'string') return { offset: at, what: `the FOOTER frame does not decode (${footer})` };
  const claim = mismatch(footer, o.firstSeq, at, walk, scanner);
  if (claim !== undefined) return { offset: at, what: claim };
  if (!o.newest && pointsAt !== at) {
    return {
      offset: trailerAt,
      what:
        pointsAt === undefined
          ? 'no valid trailer at the end of the file'
          : `the trailer points at offset ${pointsAt}, not at the FOOTER frame`,
    };
  }
  return undefined;
}

function readTrailer(file: FileHandle, at: number): number | undefined {
  const t = Buffer.alloc(TRAILER_BYTES);
  if (file.read(t, 0, TRAILER_BYTES, at) !== TRAILER_BYTES) return undefined;
  return decodeTrailer(t);
}

/** The first claim of `footer` (at `at`) that the frames walked do not bear out, if any. */
function mismatch(
  footer: SegmentFooter,
  firstSeq: number,
  at: number,
  walk: SegmentWalkResult,
  scanner: FrameScanner,
): string | undefined {
  const says = (field: string, claimed: unknown, found: unknown): string =>
    `the footer says ${field} ${String(claimed)}, the frames ${String(found)}`;
  if (footer.firstSeq !== firstSeq) return says('first WAL seq', footer.firstSeq, firstSeq);
  if (footer.lastSeq !== walk.lastSeq) return says('last WAL seq', footer.lastSeq, walk.lastSeq);
  if (footer.recordCount !== walk.recordCount)
    return says('record count', footer.recordCount, walk.recordCount);
  if (footer.dataEndOffset !== at) return says('data end offset', footer.dataEndOffset, at);
  if (walk.recordCount > 0) {
    if (footer.minTimeUnixNano !== walk.minTimeUnixNano)
      return says('earliest time', footer.minTimeUnixNano, walk.minTimeUnixNano);
    if (footer.maxTimeUnixNano !== walk.maxTimeUnixNano)
      return says('latest time', footer.maxTimeUnixNano, walk.maxTimeUnixNano);
  }
  // Each index entry must name a frame that is there, in order: a reader starts a range at one.
  let after = SEGMENT_HEADER_BYTES - 1;
  for (const [i, e] of footer.index.entries()) {
    const f = e.offset > after && e.offset < at ? scanner.check(e.offset, at) : undefined;
    if (f === undefined || !f.ok || f.meta.seq !== e.firstSeq) {
      return `the footer's index entry ${i} (offset ${e.offset}, WAL seq ${e.firstSeq}) does not point at that frame`;
    }
    after = e.offset;
  }
  return blockTimesMismatch(footer, at, walk, scanner);
}

/**
 * The first index entry whose block's time bounds are not its frames' (each segment is judged, so that
 * `verify` names every footer with such a lie, not only the first a checked read met). The walk's own
 * index has the same blocks when the footer's were cut at the same interval (the usual case: no frame
 * read again); otherwise each block's frames are checked again for their times.
 */
function blockTimesMismatch(
  footer: SegmentFooter,
  at: number,
  walk: SegmentWalkResult,
  scanner: FrameScanner,
): string | undefined {
  const idx = footer.index;
  const same = walk.index.length === idx.length && idx.every((e, i) => walk.index[i]?.offset === e.offset);
  for (let i = 0; i < idx.length; i++) {
    const e = idx[i] as SegmentFooter['index'][number];
    let min: bigint;
    let max: bigint;
    if (same) {
      const w = walk.index[i] as SegmentFooter['index'][number];
      min = w.minTimeUnixNano;
      max = w.maxTimeUnixNano;
    } else {
      min = 1n << 64n;
      max = -(1n << 64n); // frame times are signed: below every one of them
      const blockEnd = idx[i + 1]?.offset ?? at;
      for (let pos = e.offset; pos < blockEnd;) {
        const f = scanner.check(pos, blockEnd);
        if (!f.ok) return undefined; // the walk found these frames intact: changed meanwhile, not this check's
        const t = f.meta.timeUnixNano;
        if (t < min) min = t;
        if (t > max) max = t;
        pos += f.meta.frameBytes;
      }
    }
    if (min !== e.minTimeUnixNano || max !== e.maxTimeUnixNano) {
      return `the footer's index entry ${i} has time bounds ${e.minTimeUnixNano}..${e.maxTimeUnixNano}, its frames ${min}..${max}`;
    }
  }
  return undefined;
}

/**
 * What is wrong with the shape of a FOOTER payload's sparse index, judged on the raw bytes BEFORE the
 * entries are decoded into objects (`footerAt`: where the FOOTER frame is, which bounds the data): a
 * footer is trusted only if its entries' numbers and offsets strictly increase, the first is at the first
 * frame (offset 96) and numbered the segment's first number, every offset lies below its data end and at
 * least one frame (28 bytes) after the one before, and there are no more entries than records. So the entries kept are bounded by the bytes of data the
 * file really holds: a hostile 128 MiB footer of 4M entries costs one pass over its bytes, not GBs of
 * objects. Undefined: the index is well formed (or the payload's length does not fit its count: the
 * decoder reports that).
 */
export function footerIndexProblem(payload: Uint8Array, footerAt: number): string | undefined {
  if (payload.length < FOOTER_FIXED_BYTES) return undefined;
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const k = b.readUInt32LE(52);
  if (b.length !== FOOTER_FIXED_BYTES + k * INDEX_ENTRY_BYTES) return undefined;
  if (k === 0) return undefined;
  const recordCount = u64(b, 0);
  const firstSeq = u64(b, 8);
  const dataEnd = Math.min(u64(b, 40), footerAt);
  if (k > recordCount) return `the footer's index has ${k} entries for ${recordCount} records`;
  let prevSeq = firstSeq - 1;
  let prevOffset = SEGMENT_HEADER_BYTES - FRAME_OVERHEAD_BYTES;
  for (let i = 0, o = FOOTER_FIXED_BYTES; i < k; i++, o += INDEX_ENTRY_BYTES) {
    const seq = u64(b, o);
    const offset = u64(b, o + 8);
    const ok =
      i === 0
        ? offset === SEGMENT_HEADER_BYTES && seq === firstSeq
        : seq > prevSeq && offset - prevOffset >= FRAME_OVERHEAD_BYTES;
    if (!ok || offset >= dataEnd) {
      return i === 0 && offset !== SEGMENT_HEADER_BYTES
        ? `the footer's index does not start at the first frame (entry 0 at offset ${offset})`
        : `the footer's index entry ${i} (offset ${offset}, WAL seq ${seq}) does not follow entry ${i - 1} within the segment's frames`;
    }
    prevSeq = seq;
    prevOffset = offset;
  }
  return undefined;
}

/** A little-endian u64 as a number; past 2^53 it comes out as Infinity (fails every bound above). */
function u64(b: Buffer, at: number): number {
  const hi = b.readUInt32LE(at + 4);
  return hi >= 0x200000 ? Infinity : hi * 0x1_0000_0000 + b.readUInt32LE(at);
}
