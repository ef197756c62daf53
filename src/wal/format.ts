/**
 * WAL on-disk format, version 1. `docs/wal-format.md` is the full reference;
 * this module is its only implementation. All integers little-endian.
 *
 * Directory: `<20-digit first seq>.wal` segments, `LOCK`, `cursors/`,
 * `quarantine/`, and transient `*.prealloc` / `*.tmp` files.
 *
 * Segment header (SEGMENT_HEADER_BYTES = 96):
 *   0  8  magic "OTELAWAL"          40  8  segmentBytesMax (preallocated size)
 *   8  2  format version = 1        48 32  prevChainHash (integrity layer; zeros if none)
 *  10  2  header bytes = 96         80  8  reserved (0)
 *  12  4  flags (0)                 88  4  CRC32C of bytes [0, 88)
 *  16  8  segment number           92  4  reserved (0)
 *  24  8  first sequence number
 *  32  8  created, unix ns (i64)
 *
 * Frame (FRAME_OVERHEAD_BYTES = 28 + payload):
 *   0  4  frame bytes (u32, whole frame incl. CRC)
 *   4  1  type: 1 RECORD, 2 FOOTER, 3 CHECKPOINT, 4..127 user-defined
 *   5  1  flags: bit 0 BATCH_START (first frame of one write)
 *   6  2  reserved (0)
 *   8  8  sequence number (u64; footer: last record seq of the segment)
 *  16  8  time, unix ns (i64)
 *  24  n  payload
 *  24+n 4 CRC32C of bytes [0, 24+n)
 *
 * A sealed segment ends with a FOOTER frame and a 16-byte trailer:
 *   footer offset (u64), magic "OTELAEND".
 */
import { crc32c } from '@node-rs/crc32';
import { crcWithoutZeroTail } from './crcZeroTail.ts';
import { OtelAuditError } from '../errors.ts';

export const FORMAT_VERSION = 1;
export const SEGMENT_MAGIC = Buffer.from('OTELAWAL', 'ascii');
export const TRAILER_MAGIC = Buffer.from('OTELAEND', 'ascii');
export const SEGMENT_HEADER_BYTES = 96;
export const FRAME_HEADER_BYTES = 24;
export const FRAME_CRC_BYTES = 4;
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + FRAME_CRC_BYTES;
export const TRAILER_BYTES = 16;
export const CHAIN_HASH_BYTES = 32;
export const FOOTER_FIXED_BYTES = 120;
export const INDEX_ENTRY_BYTES = 32;
/**
 * Bound on any frame length read from disk, independent of configuration (a
 * reader also checks every length against the file's size before using it).
 */
export const FRAME_BYTES_LIMIT = 256 * 1024 * 1024;

export const FrameType = {
  RECORD: 1,
  FOOTER: 2,
  CHECKPOINT: 3,
} as const;
export const FRAME_FLAG_BATCH_START = 0x01;

export const SEGMENT_FILE_PATTERN = /^(\d{20})\.wal$/;

export function segmentFileName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, '0')}.wal`;
}

export interface SegmentHeader {
  readonly formatVersion: number;
  readonly segmentNumber: number;
  readonly firstSeq: number;
  readonly createdUnixNano: bigint;
  readonly segmentBytesMax: number;
  readonly prevChainHash: Uint8Array;
}

export function encodeSegmentHeader(h: SegmentHeader): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_VERSION, 8);
  b.writeUInt16LE(SEGMENT_HEADER_BYTES, 10);
  b.writeUInt32LE(0, 12);
  b.writeBigUInt64LE(BigInt(h.segmentNumber), 16);
  b.writeBigUInt64LE(BigInt(h.firstSeq), 24);
  b.writeBigInt64LE(h.createdUnixNano, 32);
  b.writeBigUInt64LE(BigInt(h.segmentBytesMax), 40);
  Buffer.from(h.prevChainHash.buffer, h.prevChainHash.byteOffset, CHAIN_HASH_BYTES).copy(b, 48);
  b.writeUInt32LE(crc32c(b.subarray(0, 88)), 88);
  return b;
}

/** Decodes and checks a segment header; returns a reason string on failure. */
export function decodeSegmentHeader(b: Uint8Array): SegmentHeader | string {
  if (b.length < SEGMENT_HEADER_BYTES) return 'short header';
  const buf = Buffer.from(b.buffer, b.byteOffset, SEGMENT_HEADER_BYTES);
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'wrong magic';
  if (buf.readUInt32LE(88) !== crc32c(buf.subarray(0, 88))) return 'header CRC mismatch';
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION) return `unsupported format version ${version}`;
  if (buf.readUInt16LE(10) !== SEGMENT_HEADER_BYTES) return 'wrong header length';
  const firstSeq = readSafeU64(buf, 24);
  const segmentNumber = readSafeU64(buf, 16);
  const segmentBytesMax = readSafeU64(buf, 40);
  if (firstSeq === undefined || firstSeq < 1) return 'first sequence number out of range';
  if (segmentNumber === undefined || segmentBytesMax === undefined) return 'header field out of range';
  return {
    formatVersion: version,
    segmentNumber,
    firstSeq,
    createdUnixNano: buf.readBigInt64LE(32),
    segmentBytesMax,
    prevChainHash: Uint8Array.from(buf.subarray(48, 80)),
  };
}

export function readSafeU64(b: Buffer, offset: number): number | undefined {
  // Two u32 halves, as sealFrame writes them: no BigInt per frame read (readBigUInt64LE and the compare
  // cost ~0.15 CPU-µs per frame on verify's main thread). Safe iff the high half is below 2^21.
  const lo = b.readUInt32LE(offset);
  const hi = b.readUInt32LE(offset + 4);
  return hi > 0x1f_ffff ? undefined : hi * 0x1_0000_0000 + lo;
}

/**
 * Builds a frame with seq, flags and CRC left to `sealFrame`, so sequence
 * numbers can be assigned when the batch is written (a failed batch's numbers
 * are reused by the next one: the log never has a gap).
 */
export function buildFrame(type: number, timeUnixNano: bigint, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(FRAME_OVERHEAD_BYTES + payload.length);
  b.set(payload, FRAME_HEADER_BYTES);
  frameAround(b, type, timeUnixNano);
  return b;
}

/** Range of a frame header's time (int64 unix ns). */
export const FRAME_TIME_MIN = -(2n ** 63n);
export const FRAME_TIME_MAX = 2n ** 63n - 1n;

/**
 * `buildFrame` in place: `frame` is FRAME_HEADER_BYTES of room, the payload,
 * FRAME_CRC_BYTES of room; writes the header's length, type and time (seq,
 * flags and CRC are left to `sealFrame`, as with `buildFrame`).
 */
export function frameAround(frame: Buffer, type: number, timeUnixNano: bigint): void {
  // The header's time is an int64. DataView's setBigInt64 would silently wrap a time outside it (an OTLP
  // time is a uint64: 2^64 - 1 was stored as -1) while the segment's index kept the unwrapped value,
  // which then failed the sealing of the segment (writeBigInt64LE) and with it an unrelated commit.
  if (timeUnixNano < FRAME_TIME_MIN || timeUnixNano > FRAME_TIME_MAX) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `frame time ${timeUnixNano} is outside the int64 range of the WAL's frame header`,
    );
  }
  const v = viewOf(frame);
  const o = frame.byteOffset;
  v.setUint32(o, frame.length, true);
  // type, flags 0, reserved 0
  v.setUint32(o + 4, type, true);
  v.setBigInt64(o + 16, timeUnixNano, true);
}

/**
 * A DataView of the last frame's memory, reused while frames come from the
 * same ArrayBuffer (runs of frames written into one chunk): DataView stores
 * are compiled inline; Buffer's writeUInt32LE / writeBigInt64LE plus a copy
 * of the time's bytes cost 0.26 CPU-µs per frame, this 0.12 (frameAround over
 * 100k receiver-bench frames, process.threadCpuUsage). Holds on to one
 * ArrayBuffer (the last one framed) until a frame of another one comes.
 */
let viewBuffer: ArrayBufferLike | undefined;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function viewOf(b: Uint8Array): DataView {
  if (b.buffer !== viewBuffer) {
    viewBuffer = b.buffer;
    view = new DataView(b.buffer);
  }
  return view;
}

/** Sets sequence number and flags, then the CRC. */
export function sealFrame(frame: Buffer, seq: number, flags: number): void {
  frame[5] = flags;
  const v = viewOf(frame);
  const o = frame.byteOffset;
  // A u64 as two u32 halves: no BigInt per frame (seq <= 2^53 - 1, checked where numbers are read).
  v.setUint32(o + 8, seq >>> 0, true);
  v.setUint32(o + 12, Math.floor(seq / 0x1_0000_0000), true);
  // The CRC of the bytes before the CRC field, from the CRC of the whole frame with that field zeroed
  // (crcZeroTail.ts): no `subarray` per frame.
  const at = o + frame.length - FRAME_CRC_BYTES;
  v.setUint32(at, 0, true);
  v.setUint32(at, crcWithoutZeroTail(crc32c(frame)), true);
}

export interface FrameMeta {
  readonly offset: number;
  readonly frameBytes: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly timeUnixNano: bigint;
}

export type FrameCheck =
  | { readonly ok: true; readonly meta: FrameMeta }
  | { readonly ok: false; readonly reason: 'zero' | 'length' | 'crc' | 'header' | 'eof' };

/**
 * Checks the frame at `offset` of `buf` (which holds file bytes starting at
 * file offset `bufFileOffset`). `frameBytesMax` bounds the length field
 * before it is used. Returns reason 'eof' when the frame runs past `buf`
 * (the caller reads more and asks again).
 */
export function checkFrame(
  buf: Buffer,
  at: number,
  bufFileOffset: number,
  frameBytesMax: number,
): FrameCheck {
  if (buf.length - at < FRAME_HEADER_BYTES) return { ok: false, reason: 'eof' };
  const frameBytes = buf.readUInt32LE(at);
  if (frameBytes === 0 && buf.readUInt32LE(at + 4) === 0 && buf.readUInt32LE(at + 8) === 0) {
    return { ok: false, reason: 'zero' };
  }
  if (frameBytes < FRAME_OVERHEAD_BYTES || frameBytes > frameBytesMax) return { ok: false, reason: 'length' };
  const type = buf[at + 4] ?? 0;
  if (type === 0 || type > 127 || buf.readUInt16LE(at + 6) !== 0) return { ok: false, reason: 'header' };
  if (buf.length - at < frameBytes) return { ok: false, reason: 'eof' };
  const end = at + frameBytes - FRAME_CRC_BYTES;
  if (buf.readUInt32LE(end) !== crc32c(buf.subarray(at, end))) return { ok: false, reason: 'crc' };
  const seq = readSafeU64(buf, at + 8);
  if (seq === undefined) return { ok: false, reason: 'header' };
  return {
    ok: true,
    meta: {
      offset: bufFileOffset + at,
      frameBytes,
      type,
      flags: buf[at + 5] ?? 0,
      seq,
      timeUnixNano: buf.readBigInt64LE(at + 16),
    },
  };
}

/** One sparse-index entry: a block of frames starting at `offset`. */
export interface IndexEntry {
  readonly firstSeq: number;
  readonly offset: number;
  minTimeUnixNano: bigint;
  maxTimeUnixNano: bigint;
}

export interface SegmentFooter {
  readonly recordCount: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly minTimeUnixNano: bigint;
  readonly maxTimeUnixNano: bigint;
  readonly dataEndOffset: number;
  readonly lastChainHash: Uint8Array | undefined;
  readonly merkleRoot: Uint8Array | undefined;
  readonly index: readonly IndexEntry[];
}

export function encodeFooterPayload(f: SegmentFooter): Buffer {
  const b = Buffer.alloc(FOOTER_FIXED_BYTES + f.index.length * INDEX_ENTRY_BYTES);
  b.writeBigUInt64LE(BigInt(f.recordCount), 0);
  b.writeBigUInt64LE(BigInt(f.firstSeq), 8);
  b.writeBigUInt64LE(BigInt(f.lastSeq), 16);
  b.writeBigInt64LE(f.minTimeUnixNano, 24);
  b.writeBigInt64LE(f.maxTimeUnixNano, 32);
  b.writeBigUInt64LE(BigInt(f.dataEndOffset), 40);
  b.writeUInt32LE((f.lastChainHash ? 1 : 0) | (f.merkleRoot ? 2 : 0), 48);
  b.writeUInt32LE(f.index.length, 52);
  if (f.lastChainHash) b.set(f.lastChainHash.subarray(0, CHAIN_HASH_BYTES), 56);
  if (f.merkleRoot) b.set(f.merkleRoot.subarray(0, CHAIN_HASH_BYTES), 88);
  let o = FOOTER_FIXED_BYTES;
  for (const e of f.index) {
    b.writeBigUInt64LE(BigInt(e.firstSeq), o);
    b.writeBigUInt64LE(BigInt(e.offset), o + 8);
    b.writeBigInt64LE(e.minTimeUnixNano, o + 16);
    b.writeBigInt64LE(e.maxTimeUnixNano, o + 24);
    o += INDEX_ENTRY_BYTES;
  }
  return b;
}

export function decodeFooterPayload(b: Buffer): SegmentFooter | string {
  if (b.length < FOOTER_FIXED_BYTES) return 'short footer';
  const count = b.readUInt32LE(52);
  if (b.length !== FOOTER_FIXED_BYTES + count * INDEX_ENTRY_BYTES) return 'footer index length mismatch';
  const nums = [0, 8, 16, 40].map((o) => readSafeU64(b, o));
  const [recordCount, firstSeq, lastSeq, dataEndOffset] = nums;
  if (
    recordCount === undefined ||
    firstSeq === undefined ||
    lastSeq === undefined ||
    dataEndOffset === undefined
  ) {
    return 'footer field out of range';
  }
  const flags = b.readUInt32LE(48);
  const index: IndexEntry[] = [];
  for (let i = 0, o = FOOTER_FIXED_BYTES; i < count; i++, o += INDEX_ENTRY_BYTES) {
    const s = readSafeU64(b, o);
    const off = readSafeU64(b, o + 8);
    if (s === undefined || off === undefined) return 'footer index entry out of range';
    index.push({
      firstSeq: s,
      offset: off,
      minTimeUnixNano: b.readBigInt64LE(o + 16),
      maxTimeUnixNano: b.readBigInt64LE(o + 24),
    });
  }
  return {
    recordCount,
    firstSeq,
    lastSeq,
    minTimeUnixNano: b.readBigInt64LE(24),
    maxTimeUnixNano: b.readBigInt64LE(32),
    dataEndOffset,
    lastChainHash: flags & 1 ? Uint8Array.from(b.subarray(56, 88)) : undefined,
    merkleRoot: flags & 2 ? Uint8Array.from(b.subarray(88, 120)) : undefined,
    index,
  };
}

export function encodeTrailer(footerOffset: number): Buffer {
  const b = Buffer.alloc(TRAILER_BYTES);
  b.writeBigUInt64LE(BigInt(footerOffset), 0);
  TRAILER_MAGIC.copy(b, 8);
  return b;
}

/** Returns the footer offset a trailer points at, or undefined when `b` is not a trailer. */
export function decodeTrailer(b: Buffer): number | undefined {
  if (b.length !== TRAILER_BYTES || !b.subarray(8).equals(TRAILER_MAGIC)) return undefined;
  return readSafeU64(b, 0);
}
