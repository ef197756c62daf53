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
 * In write mode recovery seals every clean unsealed segment so the writer
 * always starts a fresh one; read-only mode changes nothing on disk.
 */
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { WalUnsupportedVersionError } from '../errors.ts';
import type { FileHandle, FileSystem } from './fs/FileSystem.ts';
import { FrameScanner } from './FrameScanner.ts';
import {
  decodeFooterPayload,
  decodeSegmentHeader,
  decodeTrailer,
  FORMAT_VERSION,
  FrameType,
  SEGMENT_FILE_PATTERN,
  SEGMENT_HEADER_BYTES,
  TRAILER_BYTES,
  type SegmentFooter,
  type SegmentHeader,
} from './format.ts';
import { sealSegmentFile, type SealInput } from './seal.ts';
import type { SegmentInfo } from './SegmentInfo.ts';
import { walkSegment, type DamageKind } from './SegmentWalk.ts';

export type CorruptionKind = DamageKind | 'missing-segment' | 'bad-header' | 'bad-footer';

export interface Corruption {
  readonly segment: string;
  readonly kind: CorruptionKind;
  readonly offsetFrom: number | undefined;
  readonly offsetTo: number | undefined;
  /** Affected sequence numbers, inclusive; undefined when none are lost (e.g. a duplicate) or unknown. */
  readonly seqFrom: number | undefined;
  readonly seqTo: number | undefined;
  readonly quarantinedAs: string | undefined;
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
}

export interface RecoverOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly mode: 'write' | 'read-only';
  readonly frameBytesMax: number;
  readonly indexIntervalBytes: number;
  readonly verify: 'tail' | 'full';
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

export function recoverWal(o: RecoverOptions): RecoveryResult {
  const removed = o.mode === 'write' ? removeTransientFiles(o.fs, o.dir) : [];
  const found = listSegments(o.fs, o.dir);
  const segments: SegmentInfo[] = [];
  const corruptions: Corruption[] = [];
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
    const file = o.fs.open(segPath, o.mode === 'write' && newest ? 'readwrite' : 'read');
    const segCorruptions: Corruption[] = [];
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
      const footer = o.verify === 'tail' && headerOk ? readFooter(file, scanner, header) : undefined;
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
        const torn =
          newest &&
          first !== undefined &&
          (first.kind === 'bad-frame' || first.kind === 'zeroed') &&
          !first.laterBatchFollows &&
          w.footerOffset === undefined;
        if (torn) {
          // Re-walk up to the tear so the index and counts cover only what is kept.
          const kept = walkSegment({
            scanner,
            firstSeq: header.firstSeq,
            seqLimit,
            end: first.offsetFrom,
            indexIntervalBytes: o.indexIntervalBytes,
          });
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
            if (newest)
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
          if (w.leftoverOffset !== undefined) leftovers.push(f.name);
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
      if (segCorruptions.length > 0) {
        const q = quarantine(o, segPath, f.name);
        for (const c of segCorruptions) corruptions.push({ ...c, quarantinedAs: q });
      }
      file.close();
    }
  }
  const last = segments[segments.length - 1];
  // Never reuse a number that may have been written: past the last readable record, past every damaged
  // range, and past every segment that was removed as empty (its name is its first number).
  let nextSeq = last ? Math.max(last.lastSeq + 1, last.firstSeq) : 1;
  if (expectSeq !== undefined) nextSeq = Math.max(nextSeq, expectSeq);
  for (const c of corruptions) if (c.seqTo !== undefined) nextSeq = Math.max(nextSeq, c.seqTo + 1);
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
  const footer = decodeFooterPayload(Buffer.from(r.payload));
  if (typeof footer === 'string') return undefined;
  if (footer.firstSeq !== header.firstSeq || footer.dataEndOffset !== footerOffset) return undefined;
  if (footer.lastSeq < footer.firstSeq - 1) return undefined;
  return footer;
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
