/**
 * Opening a WAL directory: find the segments, check them, and tell a torn
 * final write (truncate, report, go on) from corruption (quarantine a copy,
 * report the affected sequence numbers, keep every intact record).
 *
 * - Sealed segments are checked through their trailer and footer (and, with
 *   `verify: 'full'`, every frame's CRC).
 * - Unsealed segments are walked frame by frame (`walkSegment`).
 * - Damage in the newest segment with no later write after it is a torn
 *   final write: those records were never acknowledged (an acknowledgement
 *   follows a sync, and the next write starts only after the previous sync).
 * - Anything else bad is corruption, including damage in a sealed segment,
 *   a gap between segments (missing segment) and an unreadable header.
 * - The high-water mark (HighWaterMark.ts) is a lower bound on what must be
 *   there: damage at or below it is never a torn write, and segments that end
 *   before it lost durable records (`lost-tail`). In write mode that refuses
 *   the open (`WalRecordsLostError`, WAL_CORRUPT) before the newest segment is
 *   cut, sealed or removed — unless the operator accepts the loss
 *   (`acceptLostRecordsThroughSeq`); read-only mode reports it.
 * In write mode recovery seals every clean unsealed segment so the writer
 * always starts a fresh one; read-only mode changes nothing on disk.
 */
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { WalCorruptError, WalUnsupportedVersionError } from '../errors.ts';
import { errnoCode, type FileHandle, type FileSystem } from './fs/FileSystem.ts';
import { footerIndexProblem, footerProblem } from './footerProblem.ts';
import { FrameScanner } from './FrameScanner.ts';
import {
  decodeFooterPayload,
  decodeSegmentHeader,
  decodeTrailer,
  FOOTER_FIXED_BYTES,
  FORMAT_VERSION,
  FrameType,
  SEGMENT_FILE_PATTERN,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  TRAILER_BYTES,
  type SegmentFooter,
  type SegmentHeader,
} from './format.ts';
import { createBoundarySegment } from './boundarySegment.ts';
import { HIGH_WATER_MARK_FILE, readHighWaterMark, type HighWaterMark } from './HighWaterMark.ts';
import { sealSegmentFile, type SealInput } from './seal.ts';
import type { SegmentInfo } from './SegmentInfo.ts';
import { walkSegment, type DamageKind } from './SegmentWalk.ts';
import { WalRecordsLostError } from './WalRecordsLostError.ts';

/**
 * `lost-tail`: the segments end (cleanly) before the high-water mark: the newest segment was lost, cut at
 * a frame boundary or zeroed to its end after its records were durable. `bad-high-water-mark`: the
 * high-water mark file is unreadable (read-only opens; a write-mode open fails).
 */
export type CorruptionKind =
  DamageKind | 'missing-segment' | 'bad-header' | 'bad-footer' | 'lost-tail' | 'bad-high-water-mark';

export interface Corruption {
  readonly segment: string;
  readonly kind: CorruptionKind;
  readonly offsetFrom: number | undefined;
  readonly offsetTo: number | undefined;
  /** Affected sequence numbers, inclusive; undefined when none are lost (e.g. a duplicate) or unknown. */
  readonly seqFrom: number | undefined;
  readonly seqTo: number | undefined;
  readonly quarantinedAs: string | undefined;
  /** What is wrong, where the kind alone does not say (`bad-footer`: which claim or which part). */
  readonly detail?: string;
  /**
   * Damage that loses no record (`bad-footer`): the segment's last sequence number, which it follows, so that
   * a report can place it among the others.
   */
  readonly afterSeq?: number;
}

export interface TornTail {
  readonly segment: string;
  readonly offset: number;
  /** Sequence numbers of whole frames found after the tear and discarded (never acknowledged). */
  readonly discardedSeqFrom: number | undefined;
  readonly discardedSeqTo: number | undefined;
}

export interface RecoveryReport {
  readonly segments: number;
  readonly records: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly tornTails: readonly TornTail[];
  readonly corruptions: readonly Corruption[];
  /** Segments holding frames of a failed batch that was rewritten in the next segment. */
  readonly leftovers: readonly string[];
  readonly sealedOnOpen: readonly string[];
  readonly removedFiles: readonly string[];
  /** The directory's high-water mark at open; undefined when it has none (a WAL from before marks). */
  readonly highWaterMark?: { readonly lastSeq: number; readonly segment: string } | undefined;
  /**
   * Durable records missing below the high-water mark (also listed in `corruptions`). A write-mode open
   * gets this far only when the operator accepted the loss (`acceptLostRecordsThroughSeq`).
   */
  readonly belowHighWaterMark?: { readonly fromSeq: number; readonly toSeq: number } | undefined;
}

export interface RecoverOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly mode: 'write' | 'read-only';
  readonly frameBytesMax: number;
  readonly indexIntervalBytes: number;
  readonly verify: 'tail' | 'full';
  /**
   * Write mode: open even though records up to the high-water mark are missing, when the mark is at most
   * this number (the operator archived the directory and accepts the loss). Default: refuse.
   */
  readonly acceptLostRecordsThroughSeq?: number | undefined;
  /** For the header of a boundary segment written after an accepted loss (informative fields). */
  readonly segmentBytesMax?: number;
  readonly clock?: () => bigint;
}

export interface RecoveryResult {
  readonly segments: SegmentInfo[];
  readonly report: RecoveryReport;
  readonly nextSeq: number;
  readonly nextSegmentNumber: number;
}

interface Found {
  readonly name: string;
  readonly firstSeq: number;
}

export function listSegments(fs: FileSystem, dir: string): Found[] {
  const found: Found[] = [];
  for (const name of fs.readDir(dir)) {
    const m = SEGMENT_FILE_PATTERN.exec(name);
    if (!m?.[1]) continue;
    const firstSeq = Number(m[1]);
    if (Number.isSafeInteger(firstSeq) && firstSeq >= 1) found.push({ name, firstSeq });
  }
  return found.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** A read-only open found a listed segment gone when it came to open it (a live writer removed it). */
class SegmentVanished extends Error {}

/** Read-only opens that meet a segment removed meanwhile start over (mark, listing, walk) at most this often. */
const READ_ONLY_ATTEMPTS_MAX = 3;

export function recoverWal(o: RecoverOptions): RecoveryResult {
  if (o.mode === 'write') return recoverOnce(o);
  // A reader of a live WAL (verify, replay) races the writer, which removes a segment whose commit failed (or,
  // opening, an empty newest one): listed, then gone. Such a segment held no acknowledged record; starting over
  // reads the WAL as it is now instead of failing on the missing file or judging its predecessor as an older
  // segment. A segment that keeps vanishing is reported as the I/O error it is.
  for (let attempt = 1; ; attempt++) {
    try {
      return recoverOnce(o);
    } catch (err) {
      if (!(err instanceof SegmentVanished) || attempt >= READ_ONLY_ATTEMPTS_MAX) {
        throw err instanceof SegmentVanished ? err.cause : err;
      }
    }
  }
}

function recoverOnce(o: RecoverOptions): RecoveryResult {
  const corruptions: Corruption[] = [];
  // Read first: an unreadable mark refuses a write-mode open before anything changes; a reader reports it.
  let mark: HighWaterMark | undefined;
  try {
    mark = readHighWaterMark(o.fs, o.dir);
  } catch (err) {
    if (o.mode === 'write' || !(err instanceof WalCorruptError)) throw err;
    corruptions.push(
      corruption(HIGH_WATER_MARK_FILE, 'bad-high-water-mark', undefined, undefined, undefined, undefined),
    );
  }
  const markLast = mark?.lastSeq ?? 0;
  const removed = o.mode === 'write' ? removeTransientFiles(o.fs, o.dir) : [];
  const found = listSegments(o.fs, o.dir);
  /** Set when records at or below the mark are missing: `[fromSeq, toSeq]`. */
  let belowMark: { fromSeq: number; toSeq: number } | undefined;
  const refuseOrAccept = (foundLastSeq: number, newestSegment: string | undefined): void => {
    belowMark = { fromSeq: foundLastSeq + 1, toSeq: markLast };
    if (o.mode !== 'write') return;
    const accepted = o.acceptLostRecordsThroughSeq;
    if (accepted !== undefined && markLast <= accepted) return;
    const m = mark as HighWaterMark;
    throw new WalRecordsLostError(o.dir, {
      expectedLastSeq: markLast,
      foundLastSeq,
      expectedSegment: segmentFileName(m.segmentFirstSeq),
      expectedSegmentPresent: found.some((f) => f.firstSeq === m.segmentFirstSeq),
      newestSegment,
      markUpdatedUnixNano: m.updatedUnixNano,
    });
  };
  const segments: SegmentInfo[] = [];
  const tornTails: TornTail[] = [];
  const leftovers: string[] = [];
  const sealedOnOpen: string[] = [];
  let expectSeq: number | undefined;
  let nextSegmentNumber = 1;
  let records = 0;

  for (let i = 0; i < found.length; i++) {
    const f = found[i] as Found;
    const next = found[i + 1];
    const newest = next === undefined;
    const seqLimit = next ? next.firstSeq : Number.MAX_SAFE_INTEGER;
    const segPath = path.join(o.dir, f.name);
    let file: FileHandle;
    try {
      file = o.fs.open(segPath, o.mode === 'write' && newest ? 'readwrite' : 'read');
    } catch (err) {
      if (o.mode === 'read-only' && errnoCode(err) === 'ENOENT')
        throw new SegmentVanished(f.name, { cause: err });
      throw err;
    }
    const segCorruptions: Corruption[] = [];
    /** A write-mode open refused below the high-water mark: nothing more is written, not even a quarantine copy. */
    let refused = false;
    try {
      if (expectSeq !== undefined && f.firstSeq > expectSeq) {
        corruptions.push(
          corruption(f.name, 'missing-segment', undefined, undefined, expectSeq, f.firstSeq - 1),
        );
      }
      const scanner = new FrameScanner(file, o.frameBytesMax);
      const decoded = readHeader(file);
      if (typeof decoded === 'string' && decoded.startsWith('unsupported format version')) {
        throw new WalUnsupportedVersionError(
          `${f.name}: ${decoded}; this otel-audit reads format version ${FORMAT_VERSION}`,
        );
      }
      const headerOk = typeof decoded !== 'string' && decoded.firstSeq === f.firstSeq;
      // With a bad header the frames are still self-describing: salvage them, numbered from the file name.
      const header: SegmentHeader = headerOk ? decoded : pseudoHeader(f.firstSeq);
      if (!headerOk) {
        segCorruptions.push(corruption(f.name, 'bad-header', 0, SEGMENT_HEADER_BYTES, undefined, undefined));
      }
      nextSegmentNumber = Math.max(nextSegmentNumber, header.segmentNumber + 1);
      const info = baseInfo(f, segPath, header);
      let recordCount = 0;
      let footer = o.verify === 'tail' && headerOk ? readFooter(file, scanner, header) : undefined;
      // Read-only: a footer whose count is not its range cannot be what its (consecutive) frames are; the walk
      // below reports it (footerProblem.ts). A writer's open trusts it as before.
      // So is one whose last number leaves a gap before the next segment or ends below the high-water mark:
      // walked, its frames say whether records are missing (missing-segment, lost-tail) or the footer lies.
      if (
        o.mode === 'read-only' &&
        footer &&
        (footer.recordCount !== footer.lastSeq - footer.firstSeq + 1 ||
          footer.lastSeq < (next ? next.firstSeq - 1 : markLast))
      ) {
        footer = undefined;
      }
      if (footer !== undefined && footer.lastSeq < seqLimit) {
        Object.assign(info, {
          state: 'sealed',
          lastSeq: footer.lastSeq,
          dataEnd: footer.dataEndOffset,
          minTimeUnixNano: footer.minTimeUnixNano,
          maxTimeUnixNano: footer.maxTimeUnixNano,
          index: [...footer.index],
        });
        recordCount = footer.recordCount;
        if (newest && footer.lastSeq < markLast) {
          // A sealed newest segment: the segments after it are gone.
          corruptions.push(
            corruption(f.name, 'lost-tail', undefined, undefined, footer.lastSeq + 1, markLast),
          );
          refused = true;
          refuseOrAccept(footer.lastSeq, f.name);
          refused = false;
        }
        if (o.mode === 'write' && newest) {
          // The newest segment may hold data a failed sync never persisted (see rewriteRange).
          rewriteRange(file, scanner.size);
          file.datasyncSync();
        }
      } else {
        const w = walkSegment({
          scanner,
          firstSeq: header.firstSeq,
          seqLimit,
          indexIntervalBytes: o.indexIntervalBytes,
        });
        const first = w.damage[0];
        // A torn write leaves invalid bytes, never valid frames out of order: duplicates and gaps are corruption.
        const tornLike =
          newest &&
          first !== undefined &&
          (first.kind === 'bad-frame' || first.kind === 'zeroed') &&
          !first.laterBatchFollows &&
          w.footerOffset === undefined;
        // Re-walk up to the tear so the index and counts cover only what is kept.
        const kept =
          tornLike && first !== undefined
            ? walkSegment({
                scanner,
                firstSeq: header.firstSeq,
                seqLimit,
                end: first.offsetFrom,
                indexIntervalBytes: o.indexIntervalBytes,
              })
            : undefined;
        // Damage at or below the high-water mark was durable: corruption, not a torn write.
        /** Set when damage at the end would pass for a torn write but lies at or below the mark: last record before it. */
        let durableDamageAfter: number | undefined;
        if (kept !== undefined && kept.lastSeq < markLast) durableDamageAfter = kept.lastSeq;
        if (kept !== undefined && first !== undefined && kept.lastSeq >= markLast) {
          tornTails.push({
            segment: f.name,
            offset: first.offsetFrom,
            discardedSeqFrom: w.lastSeq > kept.lastSeq ? kept.lastSeq + 1 : undefined,
            discardedSeqTo: w.lastSeq > kept.lastSeq ? w.lastSeq : undefined,
          });
          fillFromWalk(info, kept);
          recordCount = kept.recordCount;
        } else {
          fillFromWalk(info, w);
          recordCount = w.recordCount;
          for (const d of w.damage) {
            segCorruptions.push(corruption(f.name, d.kind, d.offsetFrom, d.offsetTo, d.seqFrom, d.seqTo));
          }
          if (w.tailGarbageOffset !== undefined) {
            if (newest && w.lastSeq < markLast) {
              durableDamageAfter ??= w.lastSeq;
              segCorruptions.push(
                corruption(f.name, 'bad-frame', w.tailGarbageOffset, undefined, w.lastSeq + 1, markLast),
              );
            } else if (newest)
              tornTails.push({
                segment: f.name,
                offset: w.tailGarbageOffset,
                discardedSeqFrom: undefined,
                discardedSeqTo: undefined,
              });
            else if (w.lastSeq < seqLimit - 1) {
              segCorruptions.push(
                corruption(f.name, 'bad-frame', w.tailGarbageOffset, undefined, w.lastSeq + 1, seqLimit - 1),
              );
            }
          }
          const afterSeal =
            newest && segCorruptions.length === 0 ? bytesAfterSeal(file, scanner, w.footerOffset) : undefined;
          if (afterSeal !== undefined) {
            // Non-zero bytes after a valid FOOTER frame and the trailer pointing at it, in the newest
            // segment: a crash while sealing, after the footer and trailer were written over the old tail
            // (a torn write or a failed batch's leftovers, re-sealed at open) and before the file was cut.
            // No record is there (the data ends at the footer): a torn write, warned about; a writer's open
            // seals again and cuts them.
            tornTails.push({
              segment: f.name,
              offset: afterSeal,
              discardedSeqFrom: undefined,
              discardedSeqTo: undefined,
            });
          }
          if (w.leftoverOffset !== undefined) leftovers.push(f.name);
          else if (o.mode === 'read-only' && headerOk && segCorruptions.length === 0) {
            // Frames intact: is the footer (or trailer) damaged? A writer's open seals such a segment again.
            const bad = footerProblem({ file, scanner, firstSeq: header.firstSeq, walk: w, newest });
            if (bad !== undefined) {
              segCorruptions.push({
                ...corruption(f.name, 'bad-footer', bad.offset, undefined, undefined, undefined),
                detail: bad.what,
                afterSeq: w.lastSeq,
              });
            }
          }
        }
        if (newest && markLast > 0) {
          let through = info.lastSeq;
          for (const c of [...corruptions, ...segCorruptions]) through = Math.max(through, c.seqTo ?? 0);
          if (through < markLast) {
            // Ends cleanly (zeros, end of file, a footer) before the mark: cut, zeroed, or the segments after it lost.
            corruptions.push(corruption(f.name, 'lost-tail', undefined, undefined, through + 1, markLast));
          }
          if (through < markLast || durableDamageAfter !== undefined) {
            refused = true;
            refuseOrAccept(Math.min(through, durableDamageAfter ?? through), f.name);
            refused = false;
          }
        }
        info.damaged = segCorruptions.length > 0;
        if (!headerOk) info.segmentNumber = 0;
        const footerOk = w.footerOffset !== undefined && segCorruptions.length === 0;
        info.state = footerOk ? 'sealed' : 'unsealed';
        if (o.mode === 'write' && !info.damaged) {
          // An empty newest segment is removed — unless an older segment is damaged: then it stays (sealed,
          // empty) as the boundary that keeps the damaged one from ever becoming the newest, where lost
          // records at its end would look like a torn final write (torture KD-6). The next segment the
          // writer creates has the same name and replaces it.
          if (
            info.state === 'unsealed' &&
            newest &&
            info.lastSeq < info.firstSeq &&
            corruptions.length === 0
          ) {
            file.close();
            o.fs.remove(segPath);
            o.fs.syncDir(o.dir);
            removed.push(f.name);
            continue;
          }
          // A footer without a valid trailer at the end of the file: a crash between writing the footer and
          // cutting the file. Seal again, keeping the footer's integrity fields.
          const badTrailer = footerOk && readFooter(file, scanner, header) === undefined;
          if (info.state === 'unsealed' || badTrailer) {
            const keep = badTrailer ? footerHashesAt(scanner, w.footerOffset) : {};
            const writable = newest ? file : o.fs.open(segPath, 'readwrite');
            try {
              rewriteRange(writable, info.dataEnd);
              sealSegmentFile(writable, info, keep);
            } finally {
              if (writable !== file) writable.close();
            }
            sealedOnOpen.push(f.name);
          }
        }
      }
      records += recordCount;
      segments.push(info);
      expectSeq = Math.max(info.lastSeq + 1, info.firstSeq);
      for (const c of segCorruptions) {
        if (c.seqTo !== undefined && c.seqTo >= expectSeq) expectSeq = c.seqTo + 1;
      }
    } finally {
      if (segCorruptions.length > 0 && !refused) {
        const q = quarantine(o, segPath, f.name);
        for (const c of segCorruptions) corruptions.push({ ...c, quarantinedAs: q });
      }
      file.close();
    }
  }
  if (found.length === 0 && markLast > 0) {
    // Every segment is gone.
    const name = segmentFileName((mark as HighWaterMark).segmentFirstSeq);
    corruptions.push(corruption(name, 'lost-tail', undefined, undefined, 1, markLast));
    refuseOrAccept(0, undefined);
  }
  const last = segments[segments.length - 1];
  // Never reuse a number that may have been written: past the last readable record, past every damaged
  // range, and past every segment that was removed as empty (its name is its first number).
  let nextSeq = last ? Math.max(last.lastSeq + 1, last.firstSeq) : 1;
  if (expectSeq !== undefined) nextSeq = Math.max(nextSeq, expectSeq);
  for (const c of corruptions) if (c.seqTo !== undefined) nextSeq = Math.max(nextSeq, c.seqTo + 1);
  if (belowMark !== undefined && o.mode === 'write') {
    // An accepted loss: an empty sealed segment at the next number becomes the newest, so that the damaged or
    // short segment before it is judged as an older one at every later open (its loss reported as
    // corruption, a gap before this one as missing-segment) instead of being refused again.
    const boundary = createBoundarySegment({
      fs: o.fs,
      dir: o.dir,
      firstSeq: nextSeq,
      segmentNumber: nextSegmentNumber,
      segmentBytesMax: o.segmentBytesMax ?? 0,
      createdUnixNano: o.clock?.() ?? BigInt(Date.now()) * 1_000_000n,
    });
    nextSegmentNumber++;
    segments.push(boundary);
  }
  return {
    segments,
    nextSeq,
    nextSegmentNumber,
    report: {
      segments: segments.length,
      records,
      firstSeq: segments[0]?.firstSeq ?? 1,
      lastSeq: nextSeq - 1,
      tornTails,
      corruptions,
      leftovers,
      sealedOnOpen,
      removedFiles: removed,
      highWaterMark: mark && { lastSeq: mark.lastSeq, segment: segmentFileName(mark.segmentFirstSeq) },
      belowHighWaterMark: belowMark,
    },
  };
}

function readHeader(file: FileHandle): SegmentHeader | string {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  if (file.read(b, 0, SEGMENT_HEADER_BYTES, 0) < SEGMENT_HEADER_BYTES) return 'short header';
  return decodeSegmentHeader(b);
}

/** The footer through the trailer, or undefined when the segment is not (validly) sealed. */
export function readFooter(
  file: FileHandle,
  scanner: FrameScanner,
  header: SegmentHeader,
): SegmentFooter | undefined {
  const size = scanner.size;
  if (size < SEGMENT_HEADER_BYTES + TRAILER_BYTES) return undefined;
  const t = Buffer.alloc(TRAILER_BYTES);
  file.read(t, 0, TRAILER_BYTES, size - TRAILER_BYTES);
  const footerOffset = decodeTrailer(t);
  if (
    footerOffset === undefined ||
    footerOffset < SEGMENT_HEADER_BYTES ||
    footerOffset >= size - TRAILER_BYTES
  ) {
    return undefined;
  }
  const r = scanner.at(footerOffset, size - TRAILER_BYTES);
  if (!r.ok || r.meta.type !== FrameType.FOOTER) return undefined;
  // Checked before the entries are decoded: a hostile index of millions of entries is never made objects.
  if (footerIndexProblem(r.payload, footerOffset) !== undefined) return undefined;
  const footer = decodeFooterPayload(Buffer.from(r.payload));
  if (typeof footer === 'string') return undefined;
  if (footer.firstSeq !== header.firstSeq || footer.dataEndOffset !== footerOffset) return undefined;
  if (footer.lastSeq < footer.firstSeq - 1) return undefined;
  return footer;
}

/**
 * Where non-zero bytes start after the FOOTER frame at `footerOffset` and a trailer right after it that
 * points at it; undefined when there is no such footer and trailer, or nothing (or only zeros) follows.
 */
function bytesAfterSeal(
  file: FileHandle,
  scanner: FrameScanner,
  footerOffset: number | undefined,
): number | undefined {
  if (footerOffset === undefined) return undefined;
  const r = scanner.check(footerOffset);
  if (!r.ok) return undefined;
  const trailerAt = footerOffset + r.meta.frameBytes;
  const after = trailerAt + TRAILER_BYTES;
  if (after >= scanner.size) return undefined;
  const t = Buffer.alloc(TRAILER_BYTES);
  if (file.read(t, 0, TRAILER_BYTES, trailerAt) !== TRAILER_BYTES) return undefined;
  if (decodeTrailer(t) !== footerOffset) return undefined;
  return scanner.isZero(after) ? undefined : after;
}

/**
 * Writes bytes [0, end) back in place before sealing. After a failed fsync
 * the kernel may keep showing data that never reached the disk (pages marked
 * clean after a writeback error: PostgreSQL's "fsyncgate"); what recovery
 * read from an unsealed segment is therefore made durable again, not assumed.
 */
function rewriteRange(file: FileHandle, end: number): void {
  const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(end, 1024 * 1024)));
  for (let pos = 0; pos < end; pos += chunk.length) {
    const n = file.read(chunk, 0, Math.min(chunk.length, end - pos), pos);
    file.write(chunk.subarray(0, n), pos);
  }
}

function footerHashesAt(scanner: FrameScanner, footerOffset: number | undefined): SealInput {
  if (footerOffset === undefined) return {};
  const r = scanner.at(footerOffset);
  if (!r.ok) return {};
  if (footerIndexProblem(r.payload, footerOffset) !== undefined) {
    // The index is rebuilt by the seal; the integrity fields are kept, read without decoding the entries.
    const fixed = Buffer.from(r.payload.subarray(0, FOOTER_FIXED_BYTES));
    if (fixed.length === FOOTER_FIXED_BYTES) fixed.writeUInt32LE(0, 52); // no entries
    const f = decodeFooterPayload(fixed);
    return typeof f === 'string' ? {} : { lastChainHash: f.lastChainHash, merkleRoot: f.merkleRoot };
  }
  const f = decodeFooterPayload(Buffer.from(r.payload));
  return typeof f === 'string' ? {} : { lastChainHash: f.lastChainHash, merkleRoot: f.merkleRoot };
}

function baseInfo(f: Found, segPath: string, header: SegmentHeader): SegmentInfo {
  return {
    name: f.name,
    path: segPath,
    firstSeq: f.firstSeq,
    segmentNumber: header.segmentNumber,
    state: 'unsealed',
    lastSeq: f.firstSeq - 1,
    dataEnd: SEGMENT_HEADER_BYTES,
    minTimeUnixNano: 0n,
    maxTimeUnixNano: 0n,
    index: [],
    damaged: false,
  };
}

function pseudoHeader(firstSeq: number): SegmentHeader {
  return {
    formatVersion: 0,
    segmentNumber: 0,
    firstSeq,
    createdUnixNano: 0n,
    segmentBytesMax: 0,
    prevChainHash: new Uint8Array(32),
  };
}

function fillFromWalk(info: SegmentInfo, w: ReturnType<typeof walkSegment>): void {
  info.lastSeq = w.lastSeq;
  info.dataEnd = w.dataEnd;
  info.minTimeUnixNano = w.minTimeUnixNano;
  info.maxTimeUnixNano = w.maxTimeUnixNano;
  info.index = [...w.index];
}

function corruption(
  segment: string,
  kind: CorruptionKind,
  offsetFrom: number | undefined,
  offsetTo: number | undefined,
  seqFrom: number | undefined,
  seqTo: number | undefined,
): Corruption {
  return { segment, kind, offsetFrom, offsetTo, seqFrom, seqTo, quarantinedAs: undefined };
}

/**
 * Copies a damaged segment to `quarantine/` once (named by its content's CRC), in chunks: a segment can be
 * up to 4 GiB, more than one buffer (or `readFile`) can hold.
 */
function quarantine(o: RecoverOptions, segPath: string, name: string): string | undefined {
  if (o.mode !== 'write') return undefined;
  const qdir = path.join(o.dir, 'quarantine');
  const src = o.fs.open(segPath, 'read');
  try {
    const size = src.size();
    const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(size, QUARANTINE_CHUNK_BYTES)));
    /** Calls `each` with consecutive chunks of the segment's first `size` bytes. */
    const forEachChunk = (each: (bytes: Buffer, pos: number) => void): void => {
      for (let pos = 0; pos < size;) {
        const n = src.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (n === 0) return;
        each(chunk.subarray(0, n), pos);
        pos += n;
      }
    };
    let crc = 0;
    forEachChunk((bytes) => (crc = crc32c(bytes, crc)));
    const qname = `${name}.${crc.toString(16).padStart(8, '0')}.corrupt`;
    const qpath = path.join(qdir, qname);
    if (!o.fs.exists(qdir)) {
      o.fs.mkdirp(qdir);
      o.fs.syncDir(o.dir);
    }
    if (!o.fs.exists(qpath)) {
      const tmp = `${qpath}.tmp`;
      if (o.fs.exists(tmp)) o.fs.remove(tmp);
      const h = o.fs.open(tmp, 'create');
      try {
        forEachChunk((bytes, pos) => h.write(bytes, pos));
        h.datasyncSync();
      } finally {
        h.close();
      }
      o.fs.rename(tmp, qpath);
      o.fs.syncDir(qdir);
    }
    return path.join('quarantine', qname);
  } finally {
    src.close();
  }
}

const QUARANTINE_CHUNK_BYTES = 1024 * 1024;

function removeTransientFiles(fs: FileSystem, dir: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readDir(dir)) {
    if (name.endsWith('.prealloc') || name.endsWith('.tmp')) {
      fs.remove(path.join(dir, name));
      removed.push(name);
    }
  }
  if (removed.length > 0) fs.syncDir(dir);
  return removed;
}
