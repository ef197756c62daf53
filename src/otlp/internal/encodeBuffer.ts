/**
 * Where the direct protobuf writer (`encodeLogRecord.ts`) writes payloads:
 * a chunk of memory that payloads are written into one after another and
 * handed out as views (`take`), like Node's own `Buffer.allocUnsafe` pool but
 * without the copy: a payload is written once, in place. A payload that
 * outgrows the rest of the chunk moves to a new, large enough chunk; offsets
 * that must survive that (`beginMessage`) are relative to the payload's
 * start. A view keeps its chunk alive, as a pooled Buffer does.
 * Length-delimited messages reserve one length byte and are widened
 * afterwards in the rare case their content reaches 128 bytes.
 *
 * Every writer method assumes the caller made room with `ensure(n)` first
 * (strings and byte strings make their own room). Values must already be in
 * range (the caller checks); strings are checked here for lone surrogates
 * because the check is free while the bytes are written (`string()` returns
 * false instead of writing anything wrong).
 */
import { assert } from '../../errors.ts';

/** Strings up to this many UTF-16 units are written by a JavaScript loop, longer ones by Buffer's native UTF-8 writer. */
const SHORT_STRING_UNITS_MAX = 24;
const CHUNK_BYTES = 64 * 1024;
/** A payload starts in a new chunk when fewer bytes than this are left in the current one. */
const CHUNK_REST_BYTES_MIN = 2 * 1024;

/** Buffer's native UTF-8 writer (what `buf.write(s, offset)` calls, without its argument juggling). */
interface Utf8Writer {
  utf8Write(text: string, offset: number, length: number): number;
}

/** Bytes of `n` as a varint (n a uint32 or a message length). */
export function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5;
}

export class EncodeBuffer {
  buf: Buffer;
  view: DataView;
  /** Where the payload being written starts. */
  base = 0;
  pos = 0;

  /** Size of a normal chunk. */
  private readonly chunkBytes: number;

  constructor(chunkBytes = CHUNK_BYTES) {
    this.chunkBytes = chunkBytes;
    this.buf = Buffer.allocUnsafeSlow(chunkBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Starts a payload (dropping anything written since the last `take`). */
  begin(): void {
    if (this.buf.length - this.base < CHUNK_REST_BYTES_MIN) this.moveTo(this.chunkBytes);
    this.pos = this.base;
  }

  /** Makes room for `n` more bytes at `pos` (moving the payload so far to a new chunk if needed). */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length)
      this.moveTo(Math.max(this.chunkBytes, 2 * (this.pos - this.base + n)));
  }

  private moveTo(bytes: number): void {
    const next = Buffer.allocUnsafeSlow(bytes);
    this.buf.copy(next, 0, this.base, this.pos);
    this.pos -= this.base;
    this.base = 0;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  /**
   * Hands out bytes [start, end) of the current payload as a view and starts
   * the next payload after them (8-byte aligned); a chunk grown beyond the
   * normal size for one huge payload is not reused.
   */
  take(start: number, end: number): Buffer {
    return this.takeAndContinueAt(start, end, end + ((8 - (end & 7)) & 7));
  }

  /**
   * `take` without the alignment: the next payload starts right at `end`, so
   * payloads taken one after another from the same chunk are adjacent in
   * memory (the WAL writes a run of adjacent frames without copying them).
   */
  takeAdjacent(start: number, end: number): Buffer {
    return this.takeAndContinueAt(start, end, end);
  }

  private takeAndContinueAt(start: number, end: number, next: number): Buffer {
    const out = this.buf.subarray(start, end);
    this.base = next;
    if (this.buf.length > this.chunkBytes) this.base = this.buf.length;
    this.pos = this.base;
    return out;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** A uint32 as a varint (also correct for any integer in [0, 2^32)). */
  varint32(value: number): void {
    const buf = this.buf;
    let v = value;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** A 64-bit value given as unsigned 32-bit halves, as a varint (protobufjs's writeVarint64). */
  varint64(low: number, high: number): void {
    const buf = this.buf;
    let lo = low;
    let hi = high;
    let p = this.pos;
    while (hi !== 0) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  /** fixed64, little-endian; `value` must be in [0, 2^64). */
  fixed64(value: bigint): void {
    this.view.setBigUint64(this.pos, value, true);
    this.pos += 8;
  }

  fixed32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** A double, bit-exact except that every NaN is written as the canonical quiet NaN 0x7FF8000000000000. */
  double(value: number): void {
    if (Number.isNaN(value)) {
      // explicit bits: how an engine stores a NaN into a DataView is implementation-defined
      this.view.setUint32(this.pos, 0, true);
      this.view.setUint32(this.pos + 4, 0x7ff8_0000, true);
    } else {
      this.view.setFloat64(this.pos, value, true);
    }
    this.pos += 8;
  }

  /** A length-delimited field: `tag`, the UTF-8 length, the UTF-8 bytes. False (and nothing meaningful written) for a lone surrogate. */
  string(tag: number, s: string): boolean {
    const units = s.length;
    this.ensure(11 + 3 * units);
    const buf = this.buf;
    buf[this.pos++] = tag;
    if (units <= SHORT_STRING_UNITS_MAX) {
      // at most 3 bytes per unit: the length fits one byte
      const written = this.shortUtf8(s, this.pos + 1);
      if (written < 0) return false;
      buf[this.pos] = written;
      this.pos += 1 + written;
      return true;
    }
    if (!s.isWellFormed()) return false;
    // reserve the length's bytes for the ASCII case (UTF-8 is never shorter than the UTF-16 unit count)
    const reserved = varintBytes(units);
    const start = this.pos + reserved;
    const written = (buf as unknown as Utf8Writer).utf8Write(s, start, buf.length - start);
    const needed = varintBytes(written);
    if (needed !== reserved) buf.copyWithin(this.pos + needed, start, start + written);
    this.varint32(written);
    this.pos += written;
    return true;
  }

  /** UTF-8 of `s` at `at`; the byte count, or -1 on a lone surrogate. */
  private shortUtf8(s: string, at: number): number {
    const buf = this.buf;
    const n = s.length;
    let p = at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xf800) !== 0xd800) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c >= 0xdc00 || (d & 0xfc00) !== 0xdc00) return -1;
        i++;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
      }
    }
    return p - at;
  }

  /** A length-delimited field holding `bytes` as they are. */
  bytes(tag: number, bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(6 + n);
    this.buf[this.pos++] = tag;
    this.varint32(n);
    if (n > 0) this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  /** Raw bytes (a pre-encoded part). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Bytes [start, end) of `source` as they are (reused wire bytes). A range outside `source` is an
   * assertion failure, never a short copy or bytes from beyond the view (`source` may be a view of a
   * larger pool). TypedArray#set of a view instead of Buffer#copy, and the assertion's message built
   * only on failure: Buffer#copy's argument checks and the message (two number-to-string conversions)
   * built on every call were ~10% of writing a wire-reused frame (A/B 0.89, 9 interleaved runs).
   */
  copyFrom(source: Buffer, start: number, end: number): void {
    const n = end - start;
    if (!(start >= 0 && n >= 0 && end <= source.length))
      assert(false, `wire bytes [${start}, ${end}) outside a source of ${source.length}`);
    this.ensure(n);
    this.buf.set(new Uint8Array(source.buffer, source.byteOffset + start, n), this.pos);
    this.pos += n;
  }

  /** Writes `tag` and reserves one length byte; returns where the length goes, relative to `base` (pass it to `endMessage`). */
  beginMessage(tag: number): number {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    return this.pos++ - this.base;
  }

  /** Sets the length reserved at `relativeAt` to the bytes written since, widening it when they are 128 or more. */
  endMessage(relativeAt: number): void {
    let at = relativeAt + this.base;
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    const extra = varintBytes(length) - 1;
    this.ensure(extra);
    at = relativeAt + this.base; // ensure may have moved the payload
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at;
    this.varint32(length);
    this.pos = end;
  }
}
