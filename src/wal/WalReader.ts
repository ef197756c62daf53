/**
 * Reading the WAL: by sequence number, by time range (sparse index and
 * segment time bounds skip what cannot match), and tailing new durable
 * records. A reader never returns a record above the durable sequence number,
 * and resynchronises past damaged regions, reporting each through `onDamage`
 * (without `onDamage`, damage throws `WalCorruptError`).
 *
 * With `checkSealed` (a read-only open that trusted sealed segments through
 * their footers, `openWalReadOnly({ verify: 'tail' | 'once' })`), reading a
 * sealed segment also checks that it holds exactly what its footer vouches
 * for: one intact frame after another from the segment header to the footer,
 * numbered firstSeq..lastSeq. Such a segment is bounded by the file names
 * alone (the next segment's first number), not by its footer's last number,
 * and is read from its header — or, for a read that starts after its first
 * record, from the footer's index block, as long as what is read proves that
 * the index skipped none of the range (the first frame read is numbered at or
 * before the first wanted, the frames run on one by one; else it is read
 * again from the header and the index named if nothing else was wrong). So a
 * footer that lies cannot hide a record of the range read. Its time bounds
 * (and its index blocks') are not trusted to skip anything: frame times are
 * not ordered, so a time-range read reads such a segment whole (from the
 * index block of its first number wanted), which checks them. What is checked depends on how far the read goes: a read that
 * stops inside the segment (`toSeq`) checks the frames it reads. Every
 * frame's CRC is checked once, by the reader. Where the segment is not what
 * its footer says, `sealedMismatch` decides:
 * - `throw` (default; `verify: 'once'`): `WalSealedMismatchError`, not
 *   reported through `onDamage`: the caller opens again with `verify: 'full'`
 *   to have recovery's walk say what the damage is and which numbers it cost
 *   (`otel-audit verify`).
 * - `report` (`verify: 'tail'`: replay, prove, reidentify): the segment is
 *   read on frame by frame like an unsealed one, each frame's CRC checked,
 *   and the damage reported through `onDamage` where it is met: a bad frame
 *   as always (its reason, e.g. `crc`), resynchronising at the next intact
 *   frame; a frame numbered out of sequence, frames after the footer's last
 *   number or frames that end before it, as a reason naming the footer. Every
 *   intact frame of the range is returned, whatever the footer says. A frame
 *   numbered ahead of its place while the frames after it number on from that
 *   place (renumbered in place, CRC valid) is reported and passed over: not
 *   returned, and the numbers returned do not move past it.
 */
import { assert, WalCorruptError } from '../errors.ts';
import type { FileSystem } from './fs/FileSystem.ts';
import { FrameScanner } from './FrameScanner.ts';
import {
  FRAME_OVERHEAD_BYTES,
  FrameType,
  SEGMENT_HEADER_BYTES,
  type FrameMeta,
  type IndexEntry,
} from './format.ts';
import { segmentOverlapsTime, type SegmentInfo } from './SegmentInfo.ts';

export interface WalRecord {
  readonly seq: number;
  readonly timeUnixNano: bigint;
  readonly type: number;
  readonly payload: Buffer;
}

export interface ReadDamage {
  readonly segment: string;
  readonly offset: number;
  readonly reason: string;
  /**
   * True when this is a sealed segment not being what its footer vouches for (a frame out of sequence,
   * frames past the footer's last number or ending before it) rather than a bad frame: the frames are
   * read on, none is skipped for it (see the top of this file, `sealedMismatch: 'report'`).
   */
  readonly sealedMismatch?: true;
}

export interface ReadOptions {
  readonly fromSeq?: number;
  readonly toSeq?: number;
  readonly fromTimeUnixNano?: bigint;
  readonly toTimeUnixNano?: bigint;
  /** Frame types to return; default all record types (everything but footers). */
  readonly types?: readonly number[];
  readonly onDamage?: (d: ReadDamage) => void;
  /**
   * Default true: every payload returned is the caller's to keep. False: a payload read through the
   * reader's chunk buffer is a view of it, valid only until the next record is asked for — for a caller
   * that copies each payload anyway (`verifyWalParallel` copies them into its batches), which saves a
   * copy and an allocation per record.
   */
  readonly copyPayloads?: boolean;
}

export interface TailOptions {
  readonly fromSeq?: number;
  readonly signal?: AbortSignal;
  readonly types?: readonly number[];
}

export interface WalReaderSource {
  readonly fs: FileSystem;
  readonly segments: () => readonly SegmentInfo[];
  readonly durableSeq: () => number;
  readonly frameBytesMax: number;
  readonly waitForDurable: () => Promise<void>;
  readonly isClosed: () => boolean;
  /**
   * Check each sealed segment read against its footer (see the top of this file); default false. For
   * segments whose footer recovery trusted without walking them (`verify: 'tail'` or `'once'`).
   */
  readonly checkSealed?: boolean;
  /**
   * With `checkSealed`: a sealed segment that does not match its footer throws `WalSealedMismatchError`
   * (`throw`, the default) or is reported through `onDamage` and read on frame by frame (`report`).
   */
  readonly sealedMismatch?: 'throw' | 'report';
}

/**
 * A sealed segment read with `checkSealed` does not hold exactly what its footer vouches for (damage,
 * a frame out of sequence, frames before or after what the footer counts): open the WAL again with
 * `verify: 'full'` to have the damage classified.
 */
export class WalSealedMismatchError extends WalCorruptError {
  readonly segment: string;
  readonly offset: number;
  /** What does not match, with the segment and offset left out (the reason `report` mode gives `onDamage`). */
  readonly what: string;

  constructor(segment: string, offset: number, what: string) {
    super(`${segment}: at offset ${offset}, ${what}: the segment is not what its footer vouches for`);
    this.segment = segment;
    this.offset = offset;
    this.what = `${what}: the segment is not what its footer vouches for`;
  }
}

export class WalReader {
  private readonly src: WalReaderSource;

  constructor(src: WalReaderSource) {
    this.src = src;
  }

  *records(opts: ReadOptions = {}): Generator<WalRecord> {
    const durable = this.src.durableSeq();
    const segs = [...this.src.segments()];
    const lower = Math.max(1, opts.fromSeq ?? 1);
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as SegmentInfo;
      const next = segs[i + 1];
      const checked = this.checked(seg);
      // A checked segment's footer is what is checked, so its last number does not bound the read: the
      // next segment's first does. Sealed, it holds all it ever will: what a live writer has not yet
      // made durable (`durable`) is never in it.
      const upper = Math.min(
        checked ? Infinity : seg.lastSeq,
        next ? next.firstSeq - 1 : Infinity,
        opts.toSeq ?? Infinity,
        checked ? Infinity : durable,
      );
      if (upper < Math.max(seg.firstSeq, lower)) continue;
      const from = opts.fromTimeUnixNano;
      const to = opts.toTimeUnixNano;
      // A checked segment is never skipped by its footer's time bounds, nor its index blocks by theirs:
      // frame times are not ordered, so only reading every frame proves a bound (a footer whose time
      // bounds lie hid every record of the range, reported nowhere). A checked time-range read reads
      // the segment whole (from its index block at the first number wanted, by number only), which
      // checks those bounds. A footer that says its segment is empty is checked too.
      if (!checked && !segmentOverlapsTime(seg, from, to)) continue;
      // Opened here, not in a generator of its own: each level of generators costs every record a resumption.
      const file = this.src.fs.open(seg.path, 'read');
      try {
        const scanner = new FrameScanner(file, this.src.frameBytesMax);
        const end = Math.min(seg.dataEnd, scanner.size);
        const rd: SegmentRead = { seg, scanner, end, lower, upper, opts, lastSeq: lower - 1, reported: 0 };
        const whole: Array<[number, number]> = [[SEGMENT_HEADER_BYTES, end]];
        const mode = this.src.sealedMismatch === 'report' ? 'report' : 'throw';
        // A checked read that starts after the segment's first record starts at the footer's index block, as
        // long as what it reads there proves that the index skipped none of the range (`indexed`); else the
        // segment is read again from its header, where nothing is taken from the index.
        const indexed = checked && seg.index.length > 0 && lower > seg.firstSeq;
        const first = checked && !indexed ? mode : indexed ? 'indexed' : 'trusted';
        const gaveUp = yield* this.scan(
          rd,
          first === mode ? whole : scanRanges(seg, lower, end, checked ? BY_NUMBER : opts),
          first,
        );
        if (gaveUp !== undefined) {
          yield* this.scan(rd, whole, mode);
          // The frames matched the footer, read whole: what did not was its index.
          if (rd.reported === 0)
            this.mismatched(rd, gaveUp.offset, `${gaveUp.what} (the footer's index)`, mode);
        }
      } finally {
        file.close();
      }
    }
  }

  async *tail(opts: TailOptions = {}): AsyncGenerator<WalRecord> {
    let next = Math.max(1, opts.fromSeq ?? 1);
    const aborted = new Promise<void>((resolve) =>
      opts.signal?.addEventListener('abort', () => resolve(), { once: true }),
    );
    while (!opts.signal?.aborted) {
      const durable = this.src.durableSeq();
      if (durable >= next) {
        for (const r of this.records({
          fromSeq: next,
          toSeq: durable,
          ...(opts.types ? { types: opts.types } : {}),
        })) {
          yield r;
          if (opts.signal?.aborted) return;
        }
        next = durable + 1;
        continue;
      }
      if (this.src.isClosed()) return;
      await Promise.race([this.src.waitForDurable(), aborted]);
    }
  }

  /** Reports damage met while reading: to `onDamage`, or (without one) as a thrown `WalCorruptError`. */
  protected damaged(d: ReadDamage, onDamage: ((d: ReadDamage) => void) | undefined): void {
    if (!onDamage) throw new WalCorruptError(`${d.segment}: bad frame at offset ${d.offset} (${d.reason})`);
    onDamage(d);
  }

  /** Is `seg` checked against its footer while it is read? */
  private checked(seg: SegmentInfo): boolean {
    return this.src.checkSealed === true && seg.state === 'sealed';
  }

  /** A sealed segment is not what its footer vouches for: throws (`throw`), or reports through `onDamage`. */
  private mismatched(rd: SegmentRead, offset: number, what: string, mode: 'throw' | 'report'): void {
    const err = new WalSealedMismatchError(rd.seg.name, offset, what);
    if (mode === 'throw') throw err;
    rd.reported++;
    this.damaged({ segment: rd.seg.name, offset, reason: err.what, sealedMismatch: true }, rd.opts.onDamage);
  }

  /**
   * Reads `ranges` of a segment, returning the records of the read wanted. `trusted`: checks each frame's
   * CRC and resynchronises past damage (reported). Checked against the footer (see the top of this file):
   * `throw` and `report` from the segment header; `indexed` from the footer's index blocks, giving up at
   * the first thing that does not match (returned; nothing reported) so that the caller reads on from
   * the header. Returns undefined when done.
   */
  private *scan(
    rd: SegmentRead,
    ranges: ReadonlyArray<readonly [number, number]>,
    mode: 'trusted' | 'indexed' | 'throw' | 'report',
  ): Generator<WalRecord, GaveUp | undefined> {
    const { seg, scanner, end, upper, opts } = rd;
    const matches = (m: FrameMeta): boolean =>
      (!opts.types || opts.types.includes(m.type)) &&
      (opts.fromTimeUnixNano === undefined || m.timeUnixNano >= opts.fromTimeUnixNano) &&
      (opts.toTimeUnixNano === undefined || m.timeUnixNano <= opts.toTimeUnixNano);
    // Judged on a frame's header before its CRC is checked, only to decide whether a frame larger
    // than the scanner's chunk is read whole: one that is not returned is checked a chunk at a
    // time instead (same checks, same damage reported), so a pass for checkpoints does not hold a
    // 128 MiB record. The frame returned is judged again below on its checked header.
    const keep = (h: FrameMeta): boolean =>
      h.type !== FrameType.FOOTER && h.seq <= upper && h.seq > rd.lastSeq && matches(h);
    const checked = mode !== 'trusted';
    const indexed = mode === 'indexed';
    /** Checked: the number the next frame must carry. */
    let expect = seg.firstSeq;
    /** `report`: frames after the footer's last number were reported (once a segment). */
    let pastLastReported = false;
    /** `report`: after a bad frame, the next intact one's number is not judged (it lost the rest). */
    let resync = false;
    // A whole read from the header (`throw`, `report`) also checks the footer's time bounds and index.
    const whole = mode === 'throw' || mode === 'report';
    /** Times of the frames since the last index entry met (a block), and of those before it. */
    // Frame times are signed (int64): "no frame yet" is below every one of them, not -1.
    let blockMin = U64_END;
    let blockMax = NO_TIME_MAX;
    let minTime = U64_END;
    let maxTime = NO_TIME_MAX;
    /** Ends the block of index entry `b` (-1: frames before the first entry): checks its time bounds, folds them in. */
    const endBlock = (b: number): void => {
      const e = seg.index[b];
      // Frames before the first entry: a time-range read, which starts at an entry, would never see them.
      if (b < 0 && seg.index.length > 0) badIndex ??= "the footer's index does not start at the first frame";
      if (e !== undefined && (blockMin !== e.minTimeUnixNano || blockMax !== e.maxTimeUnixNano)) {
        badIndex ??= `the footer's index entry ${b} has time bounds ${e.minTimeUnixNano}..${e.maxTimeUnixNano}, its frames ${blockMin}..${blockMax}`;
      }
      if (blockMin < minTime) minTime = blockMin;
      if (blockMax > maxTime) maxTime = blockMax;
      blockMin = U64_END;
      blockMax = NO_TIME_MAX;
    };
    /** The next index entry to meet, and the first entry that names no frame. */
    let k = 0;
    let badIndex: string | undefined;
    /** The segment does not match its footer: `indexed` gives up (returns this), the others throw or report. */
    const mismatch = (offset: number, what: string): GaveUp | undefined => {
      if (indexed) return { offset, what };
      this.mismatched(rd, offset, what, mode === 'throw' ? 'throw' : 'report');
      return undefined;
    };
    for (let i = 0; i < ranges.length; i++) {
      const [from, to] = ranges[i] as readonly [number, number];
      let pos = from;
      /** Reading stopped at damage with no intact frame after it (reported). */
      let endsInDamage = false;
      /** `indexed`: the next frame is the first of an index block, whose number sets `expect`. */
      let blockStart = indexed;
      while (pos < to) {
        const r = scanner.read(pos, end, keep);
        if (!r.ok) {
          if (checked) {
            // `indexed` gives up, `throw` throws; `report` reports it below, as any bad frame is.
            const g = mode === 'report' ? undefined : mismatch(pos, `bad frame (${r.reason})`);
            if (g) return g;
            rd.reported++;
            resync = true;
          }
          this.damaged({ segment: seg.name, offset: pos, reason: r.reason }, opts.onDamage);
          const nv = scanner.findNextValid(pos + 1, end);
          endsInDamage = !nv?.ok;
          if (!nv?.ok) break;
          pos = nv.meta.offset;
          continue;
        }
        const m = r.meta;
        if (blockStart) {
          blockStart = false;
          // The index may skip blocks before the first number wanted (never by time: see `records`),
          // never a record of the range: the first frame read comes at or before the first number wanted.
          if (m.type !== FrameType.FOOTER && m.seq >= expect) {
            if (i === 0 && m.seq > Math.max(rd.lower, seg.firstSeq)) {
              return { offset: pos, what: `WAL seq ${m.seq} where at most ${rd.lower} belongs` };
            }
            expect = m.seq;
          }
        }
        if (checked) {
          if (m.type === FrameType.FOOTER) {
            const g = mismatch(pos, 'a footer frame before the data end');
            if (g) return g;
            pos += m.frameBytes; // reported: the frames after it are read on
            continue;
          }
          if (m.seq !== expect && !resync) {
            const g = mismatch(pos, `WAL seq ${m.seq} where ${expect} belongs`);
            if (g) return g;
            // `report`: a frame renumbered in place (CRC valid: a bug or tampering) while the frames after
            // it number on from `expect` is not a record of its number: it takes `expect`'s place, is not
            // returned, and neither stops the read nor moves the numbers the reader returns past (the
            // intact frames after it are returned). A real gap (the next frame numbers on from this one)
            // is read as before.
            if (m.seq > expect && renumberedInPlace(scanner, m, end, expect)) {
              expect++;
              pos += m.frameBytes;
              continue;
            }
          } else if (m.seq > seg.lastSeq && !pastLastReported) {
            const g = mismatch(pos, `WAL seq ${m.seq} after the footer's last, ${seg.lastSeq}`);
            if (g) return g;
            pastLastReported = true;
          }
          resync = false;
          expect = Math.max(expect, m.seq + 1);
          if (whole) {
            const e = seg.index[k];
            if (e !== undefined && e.offset <= pos) {
              if (e.offset < pos || e.firstSeq !== m.seq) badIndex ??= indexEntryProblem(k, e);
              if (k > 0 || blockMax !== NO_TIME_MAX) endBlock(k - 1);
              k++;
            }
            // Per block, not per segment: a time-range read skips blocks by their bounds.
            const t = m.timeUnixNano;
            if (t < blockMin) blockMin = t;
            if (t > blockMax) blockMax = t;
          }
        }
        if (m.type === FrameType.FOOTER) return undefined;
        if (m.seq > upper) {
          // Past the read's end, unless the frame after it is still wanted: then this one is a frame
          // renumbered out of place inside the data (recovery's walk reported it: SegmentWalk), and the
          // intact frames after it are read on.
          if (!wantedNext(scanner, m, end, rd.lastSeq, upper)) return undefined;
          pos += m.frameBytes;
          continue;
        }
        pos += m.frameBytes;
        if (m.seq <= rd.lastSeq) continue;
        rd.lastSeq = m.seq;
        if (!matches(m)) continue;
        // keep() judged these same header bytes, now checked, and wanted the frame.
        if (r.payload === undefined)
          assert(false, `frame at ${seg.name}:${m.offset} was checked but not read`);
        // A large frame read into its own buffer is handed over as it is; a view of the scanner's
        // chunk buffer is copied (the buffer is reused), and so is a frame found inside another
        // frame's own buffer (after damage): kept as a view, it would pin that whole buffer.
        // Without `copyPayloads`, the caller copies the view before it asks for the next record.
        const own = r.detached && r.payload.buffer.byteLength === r.payload.length + FRAME_OVERHEAD_BYTES;
        const payload = own || opts.copyPayloads === false ? r.payload : Buffer.from(r.payload);
        yield { seq: m.seq, timeUnixNano: m.timeUnixNano, type: m.type, payload };
      }
      // Where the data ends (not an index block before it): the footer's end and last number. Damage
      // reported at the end explains a short end, and frames past the footer's last were reported.
      if (checked && to === end && !endsInDamage && !pastLastReported) {
        let what: string | undefined;
        if (pos !== seg.dataEnd || expect !== seg.lastSeq + 1) {
          what = `the frames end at WAL seq ${expect - 1}, the footer's data at offset ${seg.dataEnd} and WAL seq ${seg.lastSeq}`;
        } else if (whole && rd.reported === 0) {
          // Nothing else wrong: the footer's time bounds and index, checked against every frame.
          if (k > 0 || blockMax !== NO_TIME_MAX) endBlock(k - 1);
          const e = seg.index[k];
          if (badIndex === undefined && e !== undefined) badIndex = indexEntryProblem(k, e);
          if (badIndex !== undefined) what = badIndex;
          else if (
            maxTime !== NO_TIME_MAX &&
            (minTime !== seg.minTimeUnixNano || maxTime !== seg.maxTimeUnixNano)
          ) {
            what = `the footer's time bounds ${seg.minTimeUnixNano}..${seg.maxTimeUnixNano} are not the frames', ${minTime}..${maxTime}`;
          }
        }
        if (what !== undefined) {
          const g = mismatch(pos, what);
          if (g) return g;
        }
      }
    }
    return undefined;
  }
}

/**
 * Is `m` (numbered past `expect`, the number its place in a sealed segment calls for) followed by a valid
 * frame numbered `expect + 1`, while not by one numbered `m.seq + 1`: the frames go on as if `m` were
 * `expect`? Checked without keeping a payload (the caller does not use `m`'s after this).
 */
function renumberedInPlace(scanner: FrameScanner, m: FrameMeta, end: number, expect: number): boolean {
  const next = scanner.check(m.offset + m.frameBytes, end);
  return (
    next.ok &&
    next.meta.type !== FrameType.FOOTER &&
    next.meta.seq === expect + 1 &&
    next.meta.seq !== m.seq + 1
  );
}

/**
 * Is the frame right after `m` a valid record frame numbered in (`lastSeq`, `upper`]? Its CRC is checked
 * only when its header claims such a number: a read that stops at its end (`toSeq`, a live tail's durable
 * number) does not pay a CRC pass over the next frame, which may be up to `payloadBytesMax` long.
 */
function wantedNext(
  scanner: FrameScanner,
  m: FrameMeta,
  end: number,
  lastSeq: number,
  upper: number,
): boolean {
  const claim = scanner.peek(m.offset + m.frameBytes, end);
  if (claim === undefined || claim.type === FrameType.FOOTER || claim.seq <= lastSeq || claim.seq > upper) {
    return false;
  }
  const next = scanner.check(m.offset + m.frameBytes, end);
  return next.ok && next.meta.type !== FrameType.FOOTER && next.meta.seq > lastSeq && next.meta.seq <= upper;
}

/** What scanRanges may skip blocks by in a checked segment: numbers, never times (no time bounds). */
const BY_NUMBER: ReadOptions = {};

/** Above any frame time (an unsigned 64-bit field). */
const U64_END = 1n << 64n;
/** Below every frame time (int64): the max of no frames. */
const NO_TIME_MAX = -(1n << 64n);

function indexEntryProblem(k: number, e: IndexEntry): string {
  return `the footer's index entry ${k} (offset ${e.offset}, WAL seq ${e.firstSeq}) does not name a frame`;
}

/** One segment being read. */
interface SegmentRead {
  readonly seg: SegmentInfo;
  readonly scanner: FrameScanner;
  /** Where its data ends: the footer's offset (sealed), or what recovery found. */
  readonly end: number;
  readonly lower: number;
  readonly upper: number;
  readonly opts: ReadOptions;
  /** The last number returned or passed over (set from `lower - 1`): what a later scan skips. */
  lastSeq: number;
  /** Damage of a checked read reported through `onDamage` (`report` mode): mismatches and bad frames. */
  reported: number;
}

/** Where and why an `indexed` read of a sealed segment gave up (its frames do not prove the index right). */
interface GaveUp {
  readonly offset: number;
  readonly what: string;
}

/** Offset ranges worth scanning, from the sparse index: skip blocks before `lower` and outside the time range. */
function scanRanges(
  seg: SegmentInfo,
  lower: number,
  end: number,
  opts: ReadOptions,
): Array<[number, number]> {
  const idx: readonly IndexEntry[] = seg.index;
  if (idx.length === 0 || seg.damaged) return [[SEGMENT_HEADER_BYTES, end]];
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i] as IndexEntry;
    const nextB = idx[i + 1];
    const bEnd = nextB ? nextB.offset : end;
    if (nextB && nextB.firstSeq <= lower) continue;
    if (opts.fromTimeUnixNano !== undefined && b.maxTimeUnixNano < opts.fromTimeUnixNano) continue;
    if (opts.toTimeUnixNano !== undefined && b.minTimeUnixNano > opts.toTimeUnixNano) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === b.offset) last[1] = bEnd;
    else ranges.push([b.offset, bEnd]);
  }
  return ranges;
}
