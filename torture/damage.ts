/**
 * Damage to the medium, and what the WAL must make of it.
 *
 * `damageSegment` applies one random fault to a segment file on the
 * simulated disk: a bit flip, a zeroed 512-byte sector (a sector the drive
 * returns as zeros), or a truncation. `assessDamage` compares each segment's
 * bytes with its map taken before, and derives the oracle's expectations:
 *
 * - a frame is HIT when any of its bytes changed or were cut off; a change
 *   in bytes no frame covers (the header, the footer, preallocated zeros
 *   after the data) destroys no record;
 * - in every segment but the newest, each hit frame must be named by
 *   recovery and verify, exactly;
 * - in the newest segment, damage the WAL cannot tell from a torn final
 *   write is allowed to lose records without a corruption report, by design
 *   (recovery's rule: a bad frame at the end of the newest segment, with no
 *   later write after it, is a torn write). That is: a run of hit frames with
 *   no intact frame (nor footer) after it; or the first run, when no intact
 *   BATCH_START frame and no intact footer follow it — then everything from
 *   that run on may be discarded as the torn tail. Every other hit frame of
 *   the newest segment must be named like any other.
 * - unless that torn zone starts at or below the WAL's high-water mark (the
 *   `high-water-mark` file): those records were durable, so the writer's open
 *   must refuse (`lostBelowMark`); accepted, every hit frame up to the mark
 *   must be named, hit frames above it may be lost, intact ones are kept.
 */
import path from 'node:path';
import { SECTOR_SIZE, type SimDisk } from '../src/wal/fs/SimDisk.ts';
import { readHighWaterMark } from '../src/wal/HighWaterMark.ts';
import type { FrameExtent, SegmentLayout } from './frameMap.ts';
import type { InjectedDamage } from './oracle.ts';
import type { Prng } from './prng.ts';

export type DamageKind = 'flip' | 'zero-sector' | 'truncate';

export interface DamageOp {
  readonly kind: DamageKind;
  readonly segment: string;
  readonly offset: number;
  /** flip: the bit; zero-sector: the length zeroed; truncate: the new size. */
  readonly detail: number;
  /**
   * Whether any byte of the file changed (or was cut off). Zeroing a sector that was already zeros
   * (preallocated space) or truncating an empty file changes nothing: such an op is no fault.
   */
  readonly changed: boolean;
}

/** The ops that changed the medium: the faults an iteration really injected. */
export function faultsOf(ops: readonly DamageOp[]): number {
  return ops.filter((o) => o.changed).length;
}

export function describeDamage(d: DamageOp): string {
  return d.changed ? describeOp(d) : `${describeOp(d)} (changed nothing)`;
}

function describeOp(d: DamageOp): string {
  switch (d.kind) {
    case 'flip':
      return `bit ${d.detail} flipped at ${d.segment}+${d.offset}`;
    case 'zero-sector':
      return `sector zeroed at ${d.segment}+${d.offset} (${d.detail} bytes)`;
    case 'truncate':
      return `${d.segment} truncated to ${d.detail} bytes`;
  }
}

/** Applies one random fault to the segment (whose current size is read from the disk). */
export function damageSegment(
  disk: SimDisk,
  seg: SegmentLayout,
  rng: Prng,
  kinds: readonly DamageKind[],
): DamageOp {
  const before = disk.fileBytes(seg.path);
  const size = before.length;
  const kind = size === 0 ? 'truncate' : rng.pick(kinds);
  const changed = (): boolean => !Buffer.from(before).equals(Buffer.from(disk.fileBytes(seg.path)));
  // Most damage lands on the data (header to footer end); some anywhere in the file (preallocated zeros too).
  const dataEnd = Math.min(size, seg.footer?.end ?? seg.frames.at(-1)?.end ?? size);
  const limit = rng.chance(0.8) && dataEnd > 0 ? dataEnd : size;
  if (kind === 'flip') {
    const offset = rng.int(0, Math.max(0, limit - 1));
    const bit = rng.int(0, 7);
    disk.flipBit(seg.path, offset, bit);
    return { kind, segment: seg.name, offset, detail: bit, changed: changed() };
  }
  if (kind === 'zero-sector') {
    const offset = Math.floor(rng.int(0, Math.max(0, limit - 1)) / SECTOR_SIZE) * SECTOR_SIZE;
    const length = Math.min(SECTOR_SIZE, size - offset);
    disk.zeroRange(seg.path, offset, length);
    return { kind, segment: seg.name, offset, detail: length, changed: changed() };
  }
  const to = rng.int(0, Math.max(0, limit - 1));
  disk.truncateFile(seg.path, to);
  return { kind, segment: seg.name, offset: to, detail: to, changed: changed() };
}

export interface DamageAssessment extends InjectedDamage {
  /** Frames whose bytes changed or were cut, by sequence number. */
  readonly hit: ReadonlySet<number>;
  /** Hit frames the WAL may take for a torn final write (subset of `hit`, plus intact frames after them). */
  readonly tornZone: ReadonlySet<number>;
}

/**
 * Compares every mapped segment with its current bytes; see the module
 * comment for the rules. `newestIsLast`: the last layout is the WAL's newest
 * segment (false when only older, sealed segments were mapped).
 */
export function assessDamage(
  disk: SimDisk,
  layouts: readonly SegmentLayout[],
  opts: { readonly newestIsLast: boolean } = { newestIsLast: true },
): DamageAssessment {
  const hit = new Set<number>();
  const mayLose = new Set<number>();
  const mustReport = new Set<number>();
  const tornZone = new Set<number>();
  const first = layouts[0];
  const mark = first ? (readHighWaterMark(disk, path.dirname(first.path))?.lastSeq ?? 0) : 0;
  let lostBelowMark: number | undefined;
  layouts.forEach((seg, i) => {
    const now = disk.fileBytes(seg.path);
    const changed = (f: FrameExtent): boolean => {
      if (f.end > now.length) return true;
      for (let b = f.offset; b < f.end; b++) if (seg.bytes[b] !== now[b]) return true;
      return false;
    };
    const frameHit = seg.frames.map(changed);
    const footerIntact = seg.footer !== undefined && !changed(seg.footer);
    seg.frames.forEach((f, k) => {
      if (frameHit[k]) hit.add(f.seq);
    });
    const newest = opts.newestIsLast && i === layouts.length - 1;
    if (!newest) {
      seg.frames.forEach((f, k) => {
        if (!frameHit[k]) return;
        mayLose.add(f.seq);
        mustReport.add(f.seq);
      });
      return;
    }
    const torn = newestTornFrom(seg.frames, frameHit, footerIntact);
    if (torn !== undefined && (seg.frames[torn]?.seq ?? Infinity) <= mark) {
      lostBelowMark = mark;
      seg.frames.forEach((f, k) => {
        if (!frameHit[k]) return;
        mayLose.add(f.seq);
        if (f.seq <= mark) mustReport.add(f.seq);
      });
      return;
    }
    seg.frames.forEach((f, k) => {
      if (torn !== undefined && k >= torn) {
        mayLose.add(f.seq);
        tornZone.add(f.seq);
      } else if (frameHit[k]) {
        mayLose.add(f.seq);
        mustReport.add(f.seq);
      }
    });
  });
  return { hit, mayLose, mustReport, tornZone, ...(lostBelowMark === undefined ? {} : { lostBelowMark }) };
}

/**
 * The index of the first frame of the newest segment that recovery may treat
 * as the start of a torn final write, or undefined when none.
 */
function newestTornFrom(
  frames: readonly FrameExtent[],
  frameHit: readonly boolean[],
  footerIntact: boolean,
): number | undefined {
  const first = frameHit.indexOf(true);
  if (first < 0) return undefined;
  const intactAfter = (k: number, pred: (f: FrameExtent) => boolean): boolean =>
    frames.some((f, j) => j > k && !frameHit[j] && pred(f));
  // The first damaged run decides: nothing valid after it, or no later write after it.
  if (!footerIntact && !intactAfter(first, (f) => f.batchStart)) return first;
  // Otherwise only a last run with nothing valid after it reads as a torn tail.
  if (footerIntact) return undefined;
  let lastIntact = -1;
  frameHit.forEach((h, k) => {
    if (!h) lastIntact = k;
  });
  const tail = lastIntact + 1;
  return tail < frames.length ? tail : undefined;
}
