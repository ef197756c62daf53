/**
 * The canonical bytes of one AnyValue: what a pseudonym token's HMAC is
 * computed over and what an encrypted value's plaintext is. Every kind keeps
 * its identity (the string "5", the int 5 and the double 5 give different
 * bytes), so decryption gives back exactly the value that was encrypted.
 *
 *   value  = tag payload
 *   0x00 empty      (no payload)
 *   0x01 string     u32 length, UTF-8
 *   0x02 bool       one byte, 0 or 1
 *   0x03 int        8 bytes, big-endian two's complement
 *   0x04 double     8 bytes, big-endian IEEE 754 (-0 kept; NaN always 7ff8000000000000)
 *   0x05 bytes      u32 length, the bytes
 *   0x06 array      u32 count, then count values
 *   0x07 kvlist     u32 count, then count × (u32 length, UTF-8 key, value) — order and duplicates kept
 *
 * All integers are unsigned big-endian. Decoding treats its input as
 * untrusted: lengths are checked against what is left, nesting is limited to
 * `ANY_VALUE_DEPTH_CEILING`, UTF-8 must be valid, and the input must be used
 * up exactly; anything else is `CiphertextMalformedError`.
 */
import { ANY_VALUE_DEPTH_CEILING, type AnyValue, type KeyValue } from '../record/AnyValue.ts';
import { CiphertextMalformedError } from './errors.ts';

const TAG_EMPTY = 0;
const TAG_STRING = 1;
const TAG_BOOL = 2;
const TAG_INT = 3;
const TAG_DOUBLE = 4;
const TAG_BYTES = 5;
const TAG_ARRAY = 6;
const TAG_KVLIST = 7;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function encodeValueBytes(value: AnyValue): Buffer {
  if (typeof value === 'string') {
    // The common case in one allocation (the general path below builds and concatenates parts).
    const out = Buffer.allocUnsafe(5 + Buffer.byteLength(value, 'utf8'));
    out[0] = TAG_STRING;
    out.writeUInt32BE(out.write(value, 5, 'utf8'), 1);
    return out;
  }
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function write(value: AnyValue, out: Buffer[]): void {
  if (value === null) {
    out.push(Buffer.of(TAG_EMPTY));
  } else if (typeof value === 'string') {
    writeText(TAG_STRING, value, out);
  } else if (typeof value === 'boolean') {
    out.push(Buffer.of(TAG_BOOL, value ? 1 : 0));
  } else if (typeof value === 'bigint') {
    const b = Buffer.alloc(9);
    b[0] = TAG_INT;
    b.writeBigInt64BE(value, 1);
    out.push(b);
  } else if (typeof value === 'number') {
    const b = Buffer.alloc(9);
    b[0] = TAG_DOUBLE;
    if (Number.isNaN(value))
      b.writeUInt32BE(0x7ff80000, 1); // the one NaN; the low 4 bytes stay 0
    else b.writeDoubleBE(value, 1);
    out.push(b);
  } else if (value instanceof Uint8Array) {
    out.push(header(TAG_BYTES, value.length), Buffer.from(value.buffer, value.byteOffset, value.length));
  } else if (Array.isArray(value)) {
    out.push(header(TAG_ARRAY, value.length));
    for (const item of value) write(item, out);
  } else {
    out.push(header(TAG_KVLIST, value.values.length));
    for (const kv of value.values) {
      const key = Buffer.from(kv.key, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(key.length);
      out.push(length, key);
      write(kv.value, out);
    }
  }
}

function writeText(tag: number, text: string, out: Buffer[]): void {
  const bytes = Buffer.from(text, 'utf8');
  out.push(header(tag, bytes.length), bytes);
}

function header(tag: number, n: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = tag;
  b.writeUInt32BE(n, 1);
  return b;
}

export function decodeValueBytes(bytes: Uint8Array): AnyValue {
  const reader = { buf: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), pos: 0 };
  const value = read(reader, 1);
  if (reader.pos !== reader.buf.length) fail(`${reader.buf.length - reader.pos} bytes after the value`);
  return value;
}

interface Reader {
  readonly buf: Buffer;
  pos: number;
}

function read(r: Reader, depth: number): AnyValue {
  if (depth > ANY_VALUE_DEPTH_CEILING) fail(`nested deeper than ${ANY_VALUE_DEPTH_CEILING}`);
  const tag = take(r, 1)[0];
  switch (tag) {
    case TAG_EMPTY:
      return null;
    case TAG_STRING:
      return text(r);
    case TAG_BOOL: {
      const b = take(r, 1)[0];
      if (b !== 0 && b !== 1) fail(`bool byte ${b}`);
      return b === 1;
    }
    case TAG_INT:
      return take(r, 8).readBigInt64BE(0);
    case TAG_DOUBLE:
      return take(r, 8).readDoubleBE(0);
    case TAG_BYTES:
      return new Uint8Array(take(r, u32(r)));
    case TAG_ARRAY: {
      const count = count32(r);
      const items: AnyValue[] = [];
      for (let i = 0; i < count; i++) items.push(read(r, depth + 1));
      return items;
    }
    case TAG_KVLIST: {
      const count = count32(r);
      const values: KeyValue[] = [];
      for (let i = 0; i < count; i++) values.push({ key: text(r), value: read(r, depth + 1) });
      return { values };
    }
    default:
      return fail(`unknown value tag ${tag}`);
  }
}

function text(r: Reader): string {
  const bytes = take(r, u32(r));
  try {
    return utf8.decode(bytes);
  } catch {
    return fail('invalid UTF-8');
  }
}

function u32(r: Reader): number {
  return take(r, 4).readUInt32BE(0);
}

/** An element count: every element takes at least one byte, so a count beyond what is left is damage. */
function count32(r: Reader): number {
  const n = u32(r);
  if (n > r.buf.length - r.pos) fail(`count ${n} exceeds the ${r.buf.length - r.pos} bytes left`);
  return n;
}

function take(r: Reader, n: number): Buffer {
  if (n > r.buf.length - r.pos) fail(`truncated: ${n} bytes needed, ${r.buf.length - r.pos} left`);
  const out = r.buf.subarray(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

function fail(message: string): never {
  throw new CiphertextMalformedError(`value bytes: ${message}`);
}
