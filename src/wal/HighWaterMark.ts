/**
 * The high-water mark: a durable LOWER BOUND on what the WAL must hold.
 *
 * File `high-water-mark` in the WAL directory, 48 bytes, all integers
 * little-endian (docs/wal-format.md §11):
 *
 *    0  8  magic "OTELAHWM"
 *    8  2  version = 1
 *   10  6  reserved (0)
 *   16  8  lastSeq: every sequence number up to it was durable (u64)
 *   24  8  segmentFirstSeq: first seq (= file name) of the segment holding lastSeq
 *   32  8  updated, unix ns (i64)
 *   40  4  reserved (0)
 *   44  4  CRC32C of bytes [0, 44)
 *
 * Written by the writer (HighWaterMarkKeeper.ts, on the thread pool) when a
 * commit that created a segment (a rollover, or a new segment after a failed
 * commit) is acknowledged, at most once per `highWaterMarkIntervalMs` while
 * acknowledgements move the durable seq, and at a clean close:
 * `<file>.tmp` (O_EXCL), fdatasync, rename over the file, fsync of the
 * directory, so the file is always the old or the new one, whole. Never with
 * a smaller lastSeq than the one on disk. Recovery compares it with what the
 * segments hold: records that end before it were durable once, so that is
 * loss, never a torn final write (recover.ts).
 *
 * Only acknowledged (durable) numbers are written: a commit's numbers are
 * given back when it fails, and the segment it created is removed, so a mark
 * written before the commit's acknowledgement could name records and a
 * segment that legitimately never come to exist.
 */
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { WalCorruptError, WalUnsupportedVersionError } from '../errors.ts';
import { errnoCode, type FileHandle, type FileSystem } from './fs/FileSystem.ts';
import { readSafeU64 } from './format.ts';

export const HIGH_WATER_MARK_FILE = 'high-water-mark';
export const HIGH_WATER_MARK_BYTES = 48;
export const HIGH_WATER_MARK_VERSION = 1;
const MAGIC = Buffer.from('OTELAHWM', 'ascii');

export interface HighWaterMark {
  /** Every sequence number up to this one was durable when the mark was written. */
  readonly lastSeq: number;
  /** First sequence number (and file name) of the segment that held `lastSeq`. */
  readonly segmentFirstSeq: number;
  readonly updatedUnixNano: bigint;
}

export function encodeHighWaterMark(m: HighWaterMark): Buffer {
  const b = Buffer.alloc(HIGH_WATER_MARK_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16LE(HIGH_WATER_MARK_VERSION, 8);
  b.writeBigUInt64LE(BigInt(m.lastSeq), 16);
  b.writeBigUInt64LE(BigInt(m.segmentFirstSeq), 24);
  b.writeBigInt64LE(m.updatedUnixNano, 32);
  b.writeUInt32LE(crc32c(b.subarray(0, 44)), 44);
  return b;
}

/** Decodes and checks a mark; a reason string when it is not one. */
export function decodeHighWaterMark(bytes: Uint8Array): HighWaterMark | string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length !== HIGH_WATER_MARK_BYTES) return `size ${b.length}, expected ${HIGH_WATER_MARK_BYTES}`;
  if (!b.subarray(0, 8).equals(MAGIC)) return 'wrong magic';
  if (b.readUInt32LE(44) !== crc32c(b.subarray(0, 44))) return 'CRC mismatch';
  const version = b.readUInt16LE(8);
  if (version !== HIGH_WATER_MARK_VERSION) return `unsupported version ${version}`;
  const lastSeq = readSafeU64(b, 16);
  const segmentFirstSeq = readSafeU64(b, 24);
  if (lastSeq === undefined || segmentFirstSeq === undefined || segmentFirstSeq < 1) {
    return 'field out of range';
  }
  if (segmentFirstSeq > lastSeq + 1) return 'segment first seq beyond the last seq';
  return { lastSeq, segmentFirstSeq, updatedUnixNano: b.readBigInt64LE(32) };
}

/**
 * The directory's mark, or undefined when there is none (a WAL written before
 * marks existed, or that never rolled over nor closed: no lower bound). A file
 * that is there but unreadable is corruption (`WAL_CORRUPT`): it was written
 * atomically, so it is damage, and without it a loss at the end would pass
 * unnoticed. The operator checks the WAL (`otel-audit verify`) and then
 * removes the file (docs/recovery.md §9).
 */
export function readHighWaterMark(fs: FileSystem, dir: string): HighWaterMark | undefined {
  const file = path.join(dir, HIGH_WATER_MARK_FILE);
  let h: FileHandle | undefined;
  let m: HighWaterMark | string;
  try {
    h = fs.open(file, 'read');
    // Read at most one byte more than a mark: a reader of an untrusted WAL never reads a huge file whole.
    const bytes = Buffer.alloc(HIGH_WATER_MARK_BYTES + 1);
    const n = h.read(bytes, 0, bytes.length, 0);
    m = decodeHighWaterMark(bytes.subarray(0, n));
  } catch (err) {
    const code = errnoCode(err);
    if (h === undefined && code === 'ENOENT') return undefined;
    // Only a fault of the file itself makes the mark unreadable: not a regular file (a FIFO: ESPIPE,
    // NodeFileSystem refuses to open it; a directory: EISDIR) or a media error reading it (EIO). Anything
    // else (EMFILE, EACCES, ENOMEM...) is the environment's, not the WAL's: it is thrown as it is, never
    // reported as a corrupt mark whose remedy is to remove it (that would drop the guard against lost records).
    if (code !== 'ESPIPE' && code !== 'EISDIR' && code !== 'EIO') throw err;
    m = `cannot be read: ${code}`;
  } finally {
    h?.close();
  }
  if (typeof m !== 'string') return m;
  if (m.startsWith('unsupported version')) {
    throw new WalUnsupportedVersionError(
      `${file}: ${m}; this otel-audit reads high-water mark version ${HIGH_WATER_MARK_VERSION}`,
    );
  }
  throw new WalCorruptError(
    `${file} is unreadable (${m}): the WAL cannot tell whether records were lost at its end. ` +
      `Check the WAL (otel-audit verify), archive the directory, then remove ${HIGH_WATER_MARK_FILE} ` +
      `to open it without a lower bound (docs/recovery.md §9)`,
  );
}

/**
 * Durably replaces the directory's mark, on the thread pool, for a writer that is acknowledging appends
 * meanwhile (stale tmp removed, `<file>.tmp` created O_EXCL, written, fdatasync'd, closed,
 * renamed over the file, directory fsync'd), each through the seam's async variant where it has one (a
 * seam without it runs that step synchronously). Resolves once the new mark is durable; a crash at any
 * point leaves the old mark or the new one, whole. The caller runs one at a time (the tmp name is shared).
 */
export async function writeHighWaterMarkAsync(fs: FileSystem, dir: string, m: HighWaterMark): Promise<void> {
  const target = path.join(dir, HIGH_WATER_MARK_FILE);
  const tmp = `${target}.tmp`;
  try {
    await (fs.removeAsync ? fs.removeAsync(tmp) : fs.remove(tmp));
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const h = fs.openAsync ? await fs.openAsync(tmp, 'create') : fs.open(tmp, 'create');
  try {
    const bytes = encodeHighWaterMark(m);
    await (h.writeAsync ? h.writeAsync(bytes, 0) : h.write(bytes, 0));
    await h.datasync();
  } finally {
    h.close();
  }
  await (fs.renameAsync ? fs.renameAsync(tmp, target) : fs.rename(tmp, target));
  await (fs.syncDirAsync ? fs.syncDirAsync(dir) : fs.syncDir(dir));
}
