/**
 * Protobuf wire reading for the wire-level projection writer
 * (wireProjectionWriter.ts): lengths, varints and the fields of a message,
 * read exactly as the one-pass OTLP decoder (src/otlp/internal/fastDecode.ts,
 * private there) reads them — a length is at most 5 bytes and below 2^32, a
 * varint at most 10 bytes, a uint32 / int32 field is its low 32 bits — and
 * everything else DECLINED (thrown, caught by the writer), never an error of
 * its own: the decoder then answers with the result or the precise error.
 */

/** Thrown for a payload the writer leaves to the decoder; never escapes the writer. */
export class Declined {}
export const DECLINED = new Declined();

const TWO_POW_32 = 4294967296;
const EMPTY = Buffer.alloc(0);

export class WireCursor {
  /** The payload being read (empty between payloads: a payload of up to 128 MiB is not kept). */
  protected p: Buffer = EMPTY;
  /** Set by `lengthAt` / `varintAt`: where the data (or what follows the varint) starts. */
  protected at = 0;
  /** The high 32 bits of the last varint `varintAt` read. */
  protected hi = 0;

  protected open(payload: Uint8Array): void {
    this.p = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  }

  protected close(): void {
    this.p = EMPTY;
  }

  /**
   * The two length-delimited fields 1 and 2 (tags 0x0a, 0x12) of a KeyValue in [start, end), each at
   * most once and nothing else, into `spans[0..3]` (-1, -1 when absent): `fields(start, end, 2, spans)`
   * for the most frequent message.
   */
  protected keyValueFields(start: number, end: number, spans: Int32Array): void {
    let key = -1;
    let keyEnd = -1;
    let value = -1;
    let valueEnd = -1;
    const p = this.p;
    for (let pos = start; pos < end;) {
      const tag = p[pos] as number;
      const fieldEnd = this.lengthAt(pos + 1, end);
      if (tag === 0x0a && key < 0) {
        key = this.at;
        keyEnd = fieldEnd;
      } else if (tag === 0x12 && value < 0) {
        value = this.at;
        valueEnd = fieldEnd;
      } else throw DECLINED;
      pos = fieldEnd;
    }
    spans[0] = key;
    spans[1] = keyEnd;
    spans[2] = value;
    spans[3] = valueEnd;
  }

  /**
   * A length prefix at `pos` whose data must end within `end`: returns where the data ends, sets `at`
   * to where it starts.
   */
  protected lengthAt(pos: number, end: number): number {
    const p = this.p;
    if (pos >= end) throw DECLINED;
    let b = p[pos++] as number;
    let length = b & 0x7f;
    if (b >= 0x80) {
      let scale = 128;
      for (let i = 1; ; i++) {
        if (pos >= end || i === 5) throw DECLINED;
        b = p[pos++] as number;
        if (i === 4 && b > 0x0f) throw DECLINED; // bits past the 32nd
        length += (b & 0x7f) * scale;
        scale *= 128;
        if (b < 0x80) break;
      }
    }
    if (length > end - pos) throw DECLINED;
    this.at = pos;
    return pos + length;
  }

  /** Where the varint at `pos` ends (at most 10 bytes, within `end`). */
  protected skipVarint(pos: number, end: number): number {
    const p = this.p;
    for (let i = 0; ; i++) {
      if (pos >= end || i === 10) throw DECLINED;
      if ((p[pos++] as number) < 0x80) return pos;
    }
  }

  /** The varint at `pos` (at most 10 bytes within `end`): its low 32 bits (uint32); the next 32 in `hi`. */
  protected varintAt(pos: number, end: number): number {
    const p = this.p;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (pos >= end || i === 10) throw DECLINED;
      const b = p[pos++] as number;
      if (i < 4) lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      else if (i === 4) {
        lo = (lo | ((b & 0x7f) << 28)) >>> 0;
        hi = (hi | ((b & 0x7f) >> 4)) >>> 0;
      } else hi = (hi | ((b & 0x7f) << ((i - 5) * 7 + 3))) >>> 0;
      if (b < 0x80) break;
    }
    this.at = pos;
    this.hi = hi;
    return lo;
  }

  /**
   * The length-delimited fields 1..`count` (single-byte tags 0x0a, 0x12, 0x1a) of the message in
   * [start, end), each at most once and nothing else: `spans[2k]`, `spans[2k+1]` are the data of field
   * k+1, or -1, -1 when absent.
   */
  protected fields(start: number, end: number, count: number, spans: Int32Array): void {
    spans.fill(-1, 0, 2 * count);
    const p = this.p;
    for (let pos = start; pos < end;) {
      const tag = p[pos] as number;
      const k = (tag >> 3) - 1;
      if ((tag & 7) !== 2 || k < 0 || k >= count || (spans[2 * k] as number) >= 0) throw DECLINED;
      const fieldEnd = this.lengthAt(pos + 1, end);
      spans[2 * k] = this.at;
      spans[2 * k + 1] = fieldEnd;
      pos = fieldEnd;
    }
  }
}

/** The decimal text of the int64 whose two's-complement halves are `hi`:`lo` (as BigInt's toString). */
export function int64Text(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * TWO_POW_32 + lo); // below 2^53: exact as a number
  if (hi >= 0xffe00000) return String((hi - TWO_POW_32) * TWO_POW_32 + lo); // above -2^53
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** The decimal text of the fixed64 whose halves are `hi`:`lo`. */
export function uint64Text(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * TWO_POW_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
