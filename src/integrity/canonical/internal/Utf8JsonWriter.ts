/**
 * A growable byte buffer that JSON text is written into as UTF-8: ASCII
 * punctuation, JSON string literals escaped as RFC 8785 (JCS) §3.2.2.2 says,
 * and non-negative int32 numbers. The buffer is kept between uses (`reset`).
 * Plain JavaScript loops instead of string concatenation and a conversion:
 * see projectionWriter.ts for the measurement.
 */
import { selectLatin1Copy } from './latin1Copy.ts';

/** Buffer's native Latin-1 writer when it passes a check at load, else `buf.write(..., 'latin1')` (latin1Copy.ts). */
const latin1Copy = selectLatin1Copy();

/**
 * Strings at least this long that are printable ASCII without `"` or `\\` (what JSON copies as it is)
 * are copied by `latin1Copy` after one regular-expression check; shorter ones by
 * the loop in `quoted`. Measured (ns of CPU per `quoted` call, bench-like ASCII text, 1,000,000 calls x 3
 * rounds, old and new writer interleaved in one process, threadCpuUsage): 48 units 139-144 vs 142-146
 * (no gain: the check and the native call cost what the loop saves), 64 units 183-250 -> 124-131,
 * 110 units 303-408 -> 184-264, 250 units 693-764 -> 247-253.
 */
const NATIVE_COPY_UNITS_MIN = 64;
const COPIED_AS_IS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/**
 * `ascii` copies constants at least this long with `Uint8Array#set`, shorter ones by a loop. Measured
 * (ns of CPU per copy, 3,000,000 copies, threadCpuUsage): 8 bytes loop 11.7 / set 16.3, 12 bytes 16.5 /
 * 15.8, 24 bytes 27.3 / 15.1, 75 bytes 68.4 / 16.4.
 */
const SET_BYTES_MIN = 12;

/** The bytes of an ASCII constant, for `Utf8JsonWriter.ascii`. */
export function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) throw new RangeError(`not ASCII at ${i}: ${JSON.stringify(text)}`);
    bytes[i] = c;
  }
  return bytes;
}

export class Utf8JsonWriter {
  #buf: Buffer;
  #pos = 0;
  readonly #initialBytes: number;

  constructor(initialBytes: number) {
    this.#initialBytes = initialBytes;
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Starts over at the beginning of the buffer; a buffer grown past `keptBytesMax` is replaced by a new
   * one of the initial size (views returned by `bytes` before keep the old one).
   */
  reset(keptBytesMax = Infinity): void {
    this.#pos = 0;
    if (this.#buf.length > keptBytesMax) this.#buf = Buffer.allocUnsafe(this.#initialBytes);
  }

  /** What has been written since `reset`, as a view of the buffer (valid until it is written again). */
  bytes(): Uint8Array {
    // A plain Uint8Array view (the scratch is a Buffer, whose slice() would not copy).
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#pos);
  }

  /** Bytes written since `reset`. */
  get length(): number {
    return this.#pos;
  }

  /** A copy of what was written from `start` on (kept when the buffer is written again). */
  copyFrom(start: number): Uint8Array {
    // A copy (Buffer's own slice would be a view of the scratch).
    const copy = new Uint8Array(this.#pos - start);
    copy.set(this.#buf.subarray(start, this.#pos));
    return copy;
  }

  /** `bytes` as they are (UTF-8 this writer wrote before: see `copyFrom`). */
  append(bytes: Uint8Array): this {
    const n = bytes.length;
    if (this.#pos + n > this.#buf.length) this.#grow(n);
    this.#buf.set(bytes, this.#pos);
    this.#pos += n;
    return this;
  }

  /**
   * `bytes` as they are, copied by a loop: for the short ASCII constants of a projection (`asciiBytes`),
   * where a loop over a Uint8Array costs less than `raw` over a string (charCodeAt) or `append` (set).
   */
  ascii(bytes: Uint8Array): this {
    const n = bytes.length;
    if (this.#pos + n > this.#buf.length) this.#grow(n);
    const buf = this.#buf;
    let pos = this.#pos;
    if (n >= SET_BYTES_MIN) {
      buf.set(bytes, pos);
      this.#pos = pos + n;
      return this;
    }
    for (let i = 0; i < n; i++) buf[pos++] = bytes[i] as number;
    this.#pos = pos;
    return this;
  }

  /**
   * `text` as it is, one byte per unit: the caller vouches that it is printable ASCII JSON copies
   * as it is (a hex digest). Long ones by Buffer's native Latin-1 writer, as in `quoted`.
   */
  plainAscii(text: string): this {
    const n = text.length;
    if (this.#pos + n > this.#buf.length) this.#grow(n);
    if (n >= NATIVE_COPY_UNITS_MIN) {
      latin1Copy(this.#buf, text, this.#pos, n);
      this.#pos += n;
      return this;
    }
    return this.raw(text);
  }

  /** One byte (ASCII punctuation). */
  byte(b: number): this {
    if (this.#pos + 1 > this.#buf.length) this.#grow(1);
    this.#buf[this.#pos++] = b;
    return this;
  }

  /** `text`, all ASCII (punctuation and key names, numbers, base64). */
  raw(text: string): this {
    const n = text.length;
    if (this.#pos + n > this.#buf.length) this.#grow(n);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.#pos = pos;
    return this;
  }

  /**
   * `value` as a JSON string literal: `JSON.stringify(value)` in UTF-8, which is what RFC 8785 writes for
   * a well-formed string. `JSON.stringify` escapes `"`, `\\` and U+0000..U+001F and nothing else there, so
   * a string without them and without surrogates is copied as it is, in quotes (found out while copying
   * it). Returns false, writing nothing, when `value` has a lone surrogate (JCS refuses it).
   */
  quoted(value: string): boolean {
    const n = value.length;
    // At most 3 UTF-8 bytes per UTF-16 code unit (a pair: 4 bytes for 2 units), plus the quotes.
    if (this.#pos + 3 * n + 2 > this.#buf.length) this.#grow(3 * n + 2);
    const buf = this.#buf;
    const start = this.#pos;
    let pos = start;
    buf[pos++] = 0x22;
    if (n >= NATIVE_COPY_UNITS_MIN && COPIED_AS_IS.test(value)) {
      latin1Copy(buf, value, pos, n);
      pos += n;
      buf[pos++] = 0x22;
      this.#pos = pos;
      return true;
    }
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x80) {
        if (c < 0x20 || c === 0x22 || c === 0x5c) return this.#escaped(value);
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        return this.#escaped(value);
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    buf[pos++] = 0x22;
    this.#pos = pos;
    return true;
  }

  /** The slow path of `quoted` (nothing of `value` is written yet: `#pos` is still before its quote). */
  #escaped(value: string): boolean {
    if (!value.isWellFormed()) return false;
    this.#utf8(JSON.stringify(value));
    return true;
  }

  /**
   * UTF-8 of a well-formed string (surrogates only in pairs). Hand-written, not `TextEncoder.encodeInto`
   * (tried: bench records with a newline or a non-BMP character in 4 strings, project+hash 6.8-8.0 µs per
   * record this way vs 7.4-8.9 µs with encodeInto, 8 interleaved rounds of 100k, process.cpuUsage: its
   * per-call cost exceeds the work for short strings). src/otlp/internal/encodeBuffer.ts has a loop like
   * it, private to its varint-prefixed buffer.
   */
  #utf8(text: string): void {
    const n = text.length;
    if (this.#pos + 3 * n > this.#buf.length) this.#grow(3 * n);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
        buf[pos++] = 0xf0 | (cp >> 18);
        buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[pos++] = 0x80 | (cp & 0x3f);
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    this.#pos = pos;
  }

  /** Decimal digits of an integer in 0..2^31-1: what `JSON.stringify` writes for it (-0 too is "0"). */
  digits(value: number): this {
    if (this.#pos + 10 > this.#buf.length) this.#grow(10);
    let digits = 1;
    for (let v = value; v >= 10; v = (v / 10) | 0) digits++;
    const buf = this.#buf;
    let pos = this.#pos + digits;
    this.#pos = pos;
    let v = value;
    do {
      const q = (v / 10) | 0;
      buf[--pos] = 0x30 + v - 10 * q;
      v = q;
    } while (v > 0);
    return this;
  }

  #grow(more: number): void {
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#buf.length, this.#pos + more));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}
