/**
 * Where the wire-level projection writer (wireProjectionWriter.ts) puts its
 * bytes: a scratch buffer of bounded size. A projection that fits is hashed
 * in one `crypto.hash` call where it lies (the common case: ~1 KB); a larger
 * one is handed on in pieces as the scratch fills (to an incremental SHA-256,
 * or collected for a caller that wants the bytes), so memory stays bounded
 * whatever the record holds (a 128 MiB payload of empty attributes has a
 * projection of ~1 GB).
 *
 * A "muted" stretch (an `audit.integrity.*` attribute: its value is checked
 * as decoding would check it, but it is not part of the projection) is
 * written and then dropped: `unmute` moves back to where it began, and a muted
 * stretch that fills the scratch drops what it wrote so far instead of
 * handing it on.
 */
import { isUtf8 } from 'node:buffer';
import { createHash, hash, type Hash } from 'node:crypto';

/** The scratch size kept between records (grown only for a single piece larger than it). */
export const SINK_SCRATCH_BYTES = 64 * 1024;
/** Source bytes of a string or bytes value written per piece (a multiple of 3, for base64). */
const PIECE_BYTES = 3 * 8192;
/** Plain ASCII strings shorter than this are copied by a loop, longer ones by `Buffer#copy`. */
const NATIVE_COPY_BYTES_MIN = 32;
/** `\uXXXX` escapes (JSON.stringify's, lowercase hex) and the short ones, for bytes below 0x20. */
const CONTROL_ESCAPES: readonly string[] = Array.from({ length: 0x20 }, (_, c) =>
  JSON.stringify(String.fromCharCode(c)).slice(1, -1),
);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

export class HashingSink {
  buf: Buffer = Buffer.allocUnsafe(SINK_SCRATCH_BYTES);
  pos = 0;
  #hash: Hash | undefined;
  #collected: Uint8Array[] | undefined;
  #muted = false;
  #mark = 0;
  /** Counts hand-ons and dropped muted stretches: bytes written before a change of it are no longer in `buf`. */
  epoch = 0;

  /** Starts a projection: hashed (`collect` false) or collected. */
  begin(collect: boolean): void {
    this.pos = 0;
    this.#hash = undefined;
    this.#collected = collect ? [] : undefined;
    this.#muted = false;
    if (this.buf.length > 2 * SINK_SCRATCH_BYTES) this.buf = Buffer.allocUnsafe(SINK_SCRATCH_BYTES);
  }

  /** Makes room for `n` more bytes at `pos` (`buf` may be replaced). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.epoch++;
    if (this.#muted) this.pos = this.#mark;
    else this.#handOn();
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
  }

  mute(): void {
    this.#muted = true;
    this.#mark = this.pos;
  }

  unmute(): void {
    this.#muted = false;
    this.pos = this.#mark;
  }

  /** Writes ASCII text (punctuation, key names, digits). */
  raw(text: string): void {
    const n = text.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /** `bytes` as they are (a part written by this sink before). */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * The UTF-8 string in `src[start, end)` as a JSON string literal: `JSON.stringify` of it in UTF-8 (what
   * RFC 8785 writes for it), written from the bytes. False when they are not valid UTF-8 (then what was
   * written is meaningless). A valid UTF-8 string has no lone surrogate, so JSON.stringify escapes only
   * `"`, `\` and bytes below 0x20 there; every other byte is copied.
   */
  jsonString(src: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (n > PIECE_BYTES) return this.#escapedString(src, start, end);
    if (this.pos + n + 2 > this.buf.length) this.ensure(n + 2);
    const buf = this.buf;
    let o = this.pos;
    buf[o++] = 0x22;
    if (n < NATIVE_COPY_BYTES_MIN) {
      // Copied while checked: printable ASCII without `"` or `\\` (most strings) is copied as it is.
      for (let i = start; i < end; i++) {
        const b = src[i] as number;
        if (b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x80) return this.#escapedString(src, start, end);
        buf[o++] = b;
      }
    } else {
      for (let i = start; i < end; i++) {
        const b = src[i] as number;
        if (b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x80) return this.#escapedString(src, start, end);
      }
      o += src.copy(buf, o, start, end);
    }
    buf[o++] = 0x22;
    this.pos = o;
    return true;
  }

  /** `jsonString` from its start (nothing of it is kept yet: `pos` is still before its quote). */
  #escapedString(src: Buffer, start: number, end: number): boolean {
    let ascii = true;
    this.ensure(1);
    this.buf[this.pos++] = 0x22;
    for (let from = start; from < end; from += PIECE_BYTES) {
      const to = Math.min(end, from + PIECE_BYTES);
      this.ensure(6 * (to - from) + 1);
      const buf = this.buf;
      let o = this.pos;
      for (let i = from; i < to; i++) {
        const b = src[i] as number;
        if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
          if (b >= 0x80) ascii = false;
          buf[o++] = b;
        } else if (b < 0x20) {
          const escape = CONTROL_ESCAPES[b] as string;
          for (let j = 0; j < escape.length; j++) buf[o++] = escape.charCodeAt(j);
        } else {
          buf[o++] = 0x5c;
          buf[o++] = b;
        }
      }
      this.pos = o;
    }
    this.buf[this.pos++] = 0x22;
    // Only non-ASCII bytes can make it invalid (the escapes are ASCII: they do not change validity).
    return ascii || isUtf8(src.subarray(start, end));
  }

  /** Standard base64 (padded) of `src[start, end)`, in pieces of a multiple of 3 bytes. */
  base64(src: Buffer, start: number, end: number): void {
    for (let from = start; from < end; from += PIECE_BYTES) {
      const to = Math.min(end, from + PIECE_BYTES);
      this.ensure(4 * Math.ceil((to - from) / 3));
      this.pos += this.buf.write(src.toString('base64', from, to), this.pos, 'latin1');
    }
  }

  /** `src[start, start + bytes)` as a quoted lowercase hex string. */
  hex(src: Buffer, start: number, bytes: number): void {
    this.ensure(2 + 2 * bytes);
    const buf = this.buf;
    let o = this.pos;
    buf[o++] = 0x22;
    for (let i = start; i < start + bytes; i++) {
      const b = src[i] as number;
      buf[o++] = HEX_DIGITS[b >> 4] as number;
      buf[o++] = HEX_DIGITS[b & 15] as number;
    }
    buf[o++] = 0x22;
    this.pos = o;
  }

  /** SHA-256 of everything written since `begin`, lowercase hex. */
  digestHex(): string {
    const h = this.#hash;
    if (h === undefined) return hash('sha256', this.buf.subarray(0, this.pos), 'hex');
    h.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return h.digest('hex');
  }

  /** Everything written since `begin` (a `collect` projection), as one copy. */
  collected(): Uint8Array {
    this.#handOn();
    const parts = this.#collected ?? [];
    return new Uint8Array(Buffer.concat(parts));
  }

  #handOn(): void {
    if (this.pos === 0) return;
    const piece = this.buf.subarray(0, this.pos);
    if (this.#collected !== undefined) this.#collected.push(Buffer.from(piece));
    else (this.#hash ??= createHash('sha256')).update(piece);
    this.pos = 0;
  }
}
