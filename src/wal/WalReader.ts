/**
 * Reading the WAL: by sequence number, by time range (sparse index and
 * segment time bounds skip what cannot match), and tailing new durable
 * records. A reader never returns a record above the durable sequence number,
 * and resynchronises past damaged regions, reporting each through `onDamage`
 * (without `onDamage`, damage throws `WalCorruptError`).
 *
 * With `checkSealed` (a read-only open that trusted sealed segments through
 * their footers, `openWalReadOnly({ verify: 'once' })`), reading a sealed
 * segment also checks that it holds exactly what its footer vouches for: one
 * intact frame after another from the segment header to the footer, numbered
 * firstSeq..lastSeq. Every frame's CRC is then checked once, by the reader,
 * instead of once at open (`verify: 'full'`) and again here. Anything else
 * throws `WalSealedMismatchError` instead of being reported through
 * `onDamage`: only recovery's walk of the segment (`verify: 'full'`) can say
 * what the damage is and which sequence numbers it cost.
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
   * segments whose footer recovery trusted without walking them (`verify: 'tail'`).
   */
  readonly checkSealed?: boolean;
}

/**
 * A sealed segment read with `checkSealed` does not hold exactly what its footer vouches for (damage,
 * a frame out of sequence, frames before or after what the footer counts): open the WAL again with
 * `verify: 'full'` to have the damage classified.
 */
export class WalSealedMismatchError extends WalCorruptError {
  readonly segment: string;
  readonly offset: number;

  constructor(segment: string, offset: number, what: string) {
    super(`${segment}: at offset ${offset}, ${what}: the segment is not what its footer vouches for`);
    this.segment = segment;
    this.offset = offset;
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
      // An empty sealed segment is never read below: its footer alone says where its data ends.
      if (this.checked(seg) && seg.lastSeq < seg.firstSeq && seg.dataEnd !== SEGMENT_HEADER_BYTES) {
        throw new WalSealedMismatchError(
          seg.name,
          SEGMENT_HEADER_BYTES,
          'data before the footer of an empty segment',
        );
      }
      const upper = Math.min(
        seg.lastSeq,
        next ? next.firstSeq - 1 : Infinity,
        opts.toSeq ?? Infinity,
        durable,
      );
      if (upper < Math.max(seg.firstSeq, lower)) continue;
      if (!segmentOverlapsTime(seg, opts.fromTimeUnixNano, opts.toTimeUnixNano)) continue;
      yield* this.segmentRecords(seg, lower, upper, opts);
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

  private *segmentRecords(
    seg: SegmentInfo,
    lower: number,
    upper: number,
    opts: ReadOptions,
  ): Generator<WalRecord> {
    const file = this.src.fs.open(seg.path, 'read');
    try {
      const scanner = new FrameScanner(file, this.src.frameBytesMax);
      const end = Math.min(seg.dataEnd, scanner.size);
      let lastSeq = lower - 1;
      const matches = (m: FrameMeta): boolean =>
        (!opts.types || opts.types.includes(m.type)) &&
        (opts.fromTimeUnixNano === undefined || m.timeUnixNano >= opts.fromTimeUnixNano) &&
        (opts.toTimeUnixNano === undefined || m.timeUnixNano <= opts.toTimeUnixNano);
      // Judged on a frame's header before its CRC is checked, only to decide whether a frame larger
      // than the scanner's chunk is read whole: one that is not returned is checked a chunk at a
      // time instead (same checks, same damage reported), so a pass for checkpoints does not hold a
      // 128 MiB record. The frame returned is judged again below on its checked header.
      const keep = (h: FrameMeta): boolean =>
        h.type !== FrameType.FOOTER && h.seq <= upper && h.seq > lastSeq && matches(h);
      const checked = this.checked(seg);
      /** With `checked`: the number the next frame must carry. */
      let expect = seg.firstSeq;
      const mismatch = (offset: number, what: string): WalSealedMismatchError =>
        new WalSealedMismatchError(seg.name, offset, what);
      // A checked segment is read whole from its header: its footer's index is not trusted to skip anything.
      const ranges: Array<[number, number]> = checked
        ? [[SEGMENT_HEADER_BYTES, end]]
        : scanRanges(seg, lower, end, opts);
      for (const [from, to] of ranges) {
        let pos = from;
        while (pos < to) {
          const r = scanner.read(pos, end, keep);
          if (!r.ok) {
            if (checked) throw mismatch(pos, `bad frame (${r.reason})`);
            this.damaged({ segment: seg.name, offset: pos, reason: r.reason }, opts.onDamage);
            const nv = scanner.findNextValid(pos + 1, end);
            if (!nv?.ok) break;
            pos = nv.meta.offset;
            continue;
          }
          const m = r.meta;
          if (checked) {
            if (m.type === FrameType.FOOTER) throw mismatch(pos, 'a footer frame before the data end');
            if (m.seq !== expect) throw mismatch(pos, `WAL seq ${m.seq} where ${expect} belongs`);
            if (m.seq > seg.lastSeq)
              throw mismatch(pos, `WAL seq ${m.seq} after the footer's last, ${seg.lastSeq}`);
            expect++;
          }
          if (m.type === FrameType.FOOTER || m.seq > upper) return;
          pos += m.frameBytes;
          if (m.seq <= lastSeq) continue;
          lastSeq = m.seq;
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
        if (checked && (pos !== seg.dataEnd || expect !== seg.lastSeq + 1)) {
          throw mismatch(
            pos,
            `the frames end at WAL seq ${expect - 1}, the footer's data at offset ${seg.dataEnd} and WAL seq ${seg.lastSeq}`,
          );
        }
      }
    } finally {
      file.close();
    }
  }
}

/** Offset ranges worth scanning, from the sparse index: skip blocks before `lower` and outside the time range. */
function scanRanges(
  seg: SegmentInfo,
  lower: number,
  end: number,
  opts: ReadOptions,
): Array<[number, number]> {
  const idx: readonly IndexEntry[] = seg.index;
  if (idx.length === 0 || seg.damaged) return [[96, end]];
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
