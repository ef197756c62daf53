/**
 * Buffered, bounds-checked reading of frames from one segment file. Used by
 * recovery, readers and verification. Never trusts a length from disk before
 * checking it against `frameBytesMax` and the file size.
 *
 * Memory: frames are read through one chunk buffer of at most CHUNK_BYTES. A
 * frame larger than that is either read whole into a buffer of its own, which
 * the scanner never writes again (`at`, or `read` when `keep` wants it: the
 * payload is `detached`, a caller may keep it without copying), or checked
 * through the chunk buffer CHUNK_BYTES at a time and not kept (`check`, or
 * `read` when `keep` does not want it). Either way the frame is checked the
 * same: header, length, CRC over header and payload, in the same order, with
 * the same failure reasons.
 */
import { crc32c } from '@node-rs/crc32';
import type { FileHandle } from './fs/FileSystem.ts';
import {
  checkFrame,
  FRAME_CRC_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  readSafeU64,
  type FrameMeta,
} from './format.ts';

const CHUNK_BYTES = 1024 * 1024;
const ZERO_BLOCK = Buffer.alloc(4096);

export type ScanFailure = {
  readonly ok: false;
  readonly offset: number;
  readonly reason: 'zero' | 'length' | 'crc' | 'header' | 'eof';
};

/** A valid frame with its payload. */
export type ScannedFrame = {
  readonly ok: true;
  readonly meta: FrameMeta;
  readonly payload: Buffer;
  /**
   * True when the payload's memory is never reused by the scanner (a frame larger than a chunk, read
   * into a buffer of its own): it stays valid after the next call. Otherwise it is a view of the chunk
   * buffer, valid until the next call.
   */
  readonly detached: boolean;
};

/** A valid frame (its CRC checked) whose payload was not kept. */
export type CheckedFrame = { readonly ok: true; readonly meta: FrameMeta };

export type ScanResult = ScannedFrame | ScanFailure;
export type CheckResult = CheckedFrame | ScanFailure;
export type ReadResult = ScannedFrame | (CheckedFrame & { readonly payload?: undefined }) | ScanFailure;

/**
 * Decides, from a frame's header (NOT yet checked: its CRC is checked after), whether `read` keeps the
 * payload of a frame larger than a chunk.
 */
export type KeepPayload = (header: FrameMeta) => boolean;

/** A frame larger than the chunk buffer whose header passed its checks; its CRC is not checked yet. */
interface LargeFrame {
  readonly large: true;
  readonly offset: number;
  readonly frameBytes: number;
  readonly limit: number;
  /** The header's fields; seq undefined when it is beyond 2^53 - 1 (a 'header' failure once the CRC is checked). */
  readonly header: FrameMeta | undefined;
  /** A copy of the header's bytes `header` was parsed from: the CRC checked in chunks starts from them. */
  readonly headerBytes: Buffer;
}

export class FrameScanner {
  private readonly file: FileHandle;
  private readonly fileBytes: number;
  private readonly frameBytesMax: number;
  private store: Buffer = Buffer.alloc(0);
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  /** `buf` is a large frame's own buffer, not `store`. */
  private bufDetached = false;

  constructor(file: FileHandle, frameBytesMax: number, fileBytes: number = file.size()) {
    this.file = file;
    this.frameBytesMax = frameBytesMax;
    this.fileBytes = fileBytes;
  }

  get size(): number {
    return this.fileBytes;
  }

  /** Reads the frame at `offset`, not past `end`. See `ScannedFrame.detached` for how long the payload view is valid. */
  at(offset: number, end: number = this.fileBytes): ScanResult {
    const r = this.locate(offset, end);
    return 'large' in r ? this.readWhole(r) : r;
  }

  /** Checks the frame at `offset` as `at` does, keeping at most a chunk of it in memory; no payload. */
  check(offset: number, end: number = this.fileBytes): CheckResult {
    const r = this.locate(offset, end);
    return 'large' in r ? this.checkInChunks(r) : r;
  }

  /**
   * The type and number a frame's header at `offset` CLAIMS, unchecked (no CRC): for a caller that only
   * goes on to `check` a frame when its claim could matter. Undefined when no frame's overhead (28 bytes)
   * fits before `end`, or its number is not a safe integer.
   */
  peek(
    offset: number,
    end: number = this.fileBytes,
  ): { readonly type: number; readonly seq: number } | undefined {
    const limit = Math.min(end, this.fileBytes);
    if (offset + FRAME_OVERHEAD_BYTES > limit) return undefined;
    this.ensure(offset, FRAME_HEADER_BYTES, limit);
    const rel = offset - this.bufStart;
    if (this.buf.length - rel < FRAME_HEADER_BYTES) return undefined;
    const seq = readSafeU64(this.buf, rel + 8);
    return seq === undefined ? undefined : { type: this.buf[rel + 4] ?? 0, seq };
  }

  /**
   * `at` for a frame whose payload `keep` wants, `check` for a frame larger than a chunk it does not
   * want (the result has no payload then). A frame within a chunk always comes with its payload.
   */
  read(offset: number, end: number, keep: KeepPayload): ReadResult {
    const r = this.locate(offset, end);
    if (!('large' in r)) return r;
    return r.header !== undefined && keep(r.header) ? this.readWhole(r) : this.checkInChunks(r);
  }

  /**
   * The first offset in [from, end) holding a valid frame, skipping zero runs
   * quickly (a frame's first 4 bytes, its length, are never all zero). Frames
   * are checked as `check` does: a length field claiming a large frame costs a
   * CRC pass over it, not a buffer of its size.
   */
  findNextValid(from: number, end: number = this.fileBytes): CheckResult | undefined {
    const limit = Math.min(end, this.fileBytes);
    let o = from;
    while (o + FRAME_OVERHEAD_BYTES <= limit) {
      // Only the length field is needed here (ensure reads a whole chunk when it reads). Asking for a
      // chunk's worth from `o` re-read a chunk at every offset within a chunk of a buffer's end: 24.8
      // CPU-s to step past a damaged 2.5 MiB frame followed by 4 MiB of frames, now 0.1.
      this.ensure(o, 4, limit);
      const rel = o - this.bufStart;
      if (this.buf.length - rel < 4) return undefined;
      if (this.buf.readUInt32LE(rel) === 0) {
        const nz = this.nextNonZero(o, limit);
        if (nz === undefined) return undefined;
        o = Math.max(o + 1, nz - 3);
        continue;
      }
      const r = this.check(o, limit);
      if (r.ok) return r;
      o += 1;
    }
    return undefined;
  }

  /** True when every byte in [from, end) is zero. */
  isZero(from: number, end: number = this.fileBytes): boolean {
    return this.nextNonZero(from, Math.min(end, this.fileBytes)) === undefined;
  }

  /**
   * The frame at `offset` when it is within a chunk (checked, with its payload view), a failure, or a
   * frame larger than a chunk whose header passed its checks (to be read whole or checked in chunks).
   */
  private locate(offset: number, end: number): ScanResult | LargeFrame {
    const limit = Math.min(end, this.fileBytes);
    if (offset + FRAME_OVERHEAD_BYTES > limit) {
      return {
        ok: false,
        offset,
        reason: offset >= limit ? 'eof' : this.isZero(offset, limit) ? 'zero' : 'length',
      };
    }
    this.ensure(offset, FRAME_HEADER_BYTES, limit);
    let r = checkFrame(this.buf, offset - this.bufStart, this.bufStart, this.frameBytesMax);
    if (!r.ok && r.reason === 'eof') {
      const rel = offset - this.bufStart;
      if (this.buf.length - rel < FRAME_HEADER_BYTES) return { ok: false, offset, reason: 'length' };
      // checkFrame checked the header before finding the frame longer than `buf`.
      const want = this.buf.readUInt32LE(rel);
      if (offset + want > limit) return { ok: false, offset, reason: 'length' };
      if (want > CHUNK_BYTES) {
        const seq = readSafeU64(this.buf, rel + 8);
        const header =
          seq === undefined
            ? undefined
            : {
                offset,
                frameBytes: want,
                type: this.buf[rel + 4] ?? 0,
                flags: this.buf[rel + 5] ?? 0,
                seq,
                timeUnixNano: this.buf.readBigInt64LE(rel + 16),
              };
        const headerBytes = Buffer.from(this.buf.subarray(rel, rel + FRAME_HEADER_BYTES));
        return { large: true, offset, frameBytes: want, limit, header, headerBytes };
      }
      this.ensure(offset, want, limit);
      r = checkFrame(this.buf, offset - this.bufStart, this.bufStart, this.frameBytesMax);
    }
    if (!r.ok) return { ok: false, offset, reason: r.reason === 'eof' ? 'length' : r.reason };
    const at = offset - this.bufStart;
    const payload = this.buf.subarray(at + FRAME_HEADER_BYTES, at + r.meta.frameBytes - FRAME_CRC_BYTES);
    return { ok: true, meta: r.meta, payload, detached: this.bufDetached };
  }

  /** Reads a large frame whole into a buffer of its own (never reused: its payload is detached) and checks it. */
  private readWhole(f: LargeFrame): ScanResult {
    const own = Buffer.allocUnsafe(f.frameBytes);
    const n = this.file.read(own, 0, f.frameBytes, f.offset);
    this.buf = own.subarray(0, n);
    this.bufStart = f.offset;
    this.bufDetached = true;
    const r = checkFrame(this.buf, 0, f.offset, this.frameBytesMax);
    if (!r.ok) return { ok: false, offset: f.offset, reason: r.reason === 'eof' ? 'length' : r.reason };
    // Bounded by the checked frame's length, not `f.frameBytes` (the first read's): if the file changed
    // in between, the bytes past the checked frame's CRC are not part of it.
    const payload = this.buf.subarray(FRAME_HEADER_BYTES, r.meta.frameBytes - FRAME_CRC_BYTES);
    return { ok: true, meta: r.meta, payload, detached: true };
  }

  /**
   * Checks a large frame as `checkFrame` would (CRC, then the seq's range) through the chunk buffer,
   * CHUNK_BYTES at a time: memory stays at one chunk whatever the frame's size. The CRC starts from
   * the very header bytes the frame's fields were parsed from (not a second read of them), so the
   * fields returned are always ones the CRC vouches for.
   */
  private checkInChunks(f: LargeFrame): CheckResult {
    const crcAt = f.offset + f.frameBytes - FRAME_CRC_BYTES;
    let crc = crc32c(f.headerBytes);
    for (let pos = f.offset + FRAME_HEADER_BYTES; pos < crcAt;) {
      const len = Math.min(CHUNK_BYTES, crcAt - pos);
      this.ensure(pos, len, f.limit);
      const rel = pos - this.bufStart;
      if (this.buf.length - rel < len) return { ok: false, offset: f.offset, reason: 'length' };
      crc = crc32c(this.buf.subarray(rel, rel + len), crc);
      pos += len;
    }
    this.ensure(crcAt, FRAME_CRC_BYTES, f.limit);
    const rel = crcAt - this.bufStart;
    if (this.buf.length - rel < FRAME_CRC_BYTES) return { ok: false, offset: f.offset, reason: 'length' };
    if (this.buf.readUInt32LE(rel) !== crc) return { ok: false, offset: f.offset, reason: 'crc' };
    if (f.header === undefined) return { ok: false, offset: f.offset, reason: 'header' };
    return { ok: true, meta: f.header };
  }

  private nextNonZero(from: number, end: number): number | undefined {
    let o = from;
    while (o < end) {
      const len = Math.min(ZERO_BLOCK.length, end - o);
      this.ensure(o, len, end);
      const rel = o - this.bufStart;
      if (this.buf.compare(ZERO_BLOCK, 0, len, rel, rel + len) !== 0) {
        for (let i = 0; i < len; i++) if (this.buf[rel + i] !== 0) return o + i;
      }
      o += len;
    }
    return undefined;
  }

  /**
   * Makes bytes [offset, offset+length) available in `buf` (clamped to `end`), reading into the chunk
   * buffer. `length` is at most CHUNK_BYTES: larger frames go through `readWhole` or `checkInChunks`.
   */
  private ensure(offset: number, length: number, end: number): void {
    const need = Math.min(length, end - offset);
    if (offset >= this.bufStart && offset + need <= this.bufStart + this.buf.length) return;
    const readBytes = Math.max(need, Math.min(CHUNK_BYTES, end - offset));
    if (this.store.length < readBytes) {
      // Sized to the read, not to CHUNK_BYTES: a scan of a small segment must not
      // allocate 1 MiB (measured: 8-12% of the CPU of torture iterations over
      // 4-64 KiB segments, and most of their garbage collection).
      this.store = Buffer.allocUnsafe(readBytes);
    }
    const n = this.file.read(this.store, 0, readBytes, offset);
    this.buf = this.store.subarray(0, n);
    this.bufStart = offset;
    this.bufDetached = false;
  }
}
