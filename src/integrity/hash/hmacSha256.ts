/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) of short messages with one key, the
 * key's two padded blocks compressed once: a message of up to
 * `HMAC_SHORT_MESSAGE_BYTES_MAX` bytes then costs two or three compressions
 * in JavaScript (sha256Block.ts) instead of a node:crypto Hmac object per
 * call. Longer messages go to node:crypto (SHA-NI is faster per byte).
 *
 * Hand-written instead of node:crypto's `createHmac` (the brief's rule: only
 * where the library is measured to be the bottleneck): pseudonymization
 * computes one HMAC per value, and `createHmac(...).update(v).digest()` costs
 * ~2.8 µs whatever the value's size — see the measurement in
 * src/privacy/pseudonym.ts. hmacSha256.test.ts checks it against
 * node:crypto over random keys and every message length up to the bound and
 * past it.
 */
import { createHmac, hash, type KeyObject } from 'node:crypto';
import { SHA256_H0, sha256Compress } from './sha256Block.ts';

/** Messages up to this long (two blocks after the padding) are hashed in JavaScript. */
export const HMAC_SHORT_MESSAGE_BYTES_MAX = 128 - 9;

const BLOCK_BYTES = 64;
/** Scratch (JavaScript runs one call at a time): up to two message blocks, then the outer block. */
const block = new Uint8Array(2 * BLOCK_BYTES);
const h = new Int32Array(8);

export class HmacSha256 {
  /** The hash value after the key's inner padded block (key ^ 0x36...). */
  readonly #inner = new Int32Array(8);
  /** The hash value after the key's outer padded block (key ^ 0x5c...). */
  readonly #outer = new Int32Array(8);
  readonly #key: KeyObject;

  /** `key`: a secret KeyObject (its bytes are read once; keys over 64 bytes are hashed first, as RFC 2104 says). */
  constructor(key: KeyObject) {
    this.#key = key;
    const exported: Uint8Array = key.export(); // a copy of the key's bytes: zeroed below
    const k = exported.length > BLOCK_BYTES ? hash('sha256', exported, 'buffer') : exported;
    const pad = new Uint8Array(BLOCK_BYTES);
    for (const [state, byte] of [
      [this.#inner, 0x36],
      [this.#outer, 0x5c],
    ] as const) {
      for (let i = 0; i < BLOCK_BYTES; i++) pad[i] = (k[i] ?? 0) ^ byte;
      state.set(SHA256_H0);
      sha256Compress(state, pad, 0);
    }
    // No copy of the key or of its padded blocks is left in the heap for a later dump to find.
    pad.fill(0);
    k.fill(0);
    exported.fill(0);
  }

  /** HMAC-SHA256(key, message): 32 bytes. */
  digest(message: Uint8Array): Buffer {
    const n = message.length;
    if (n > HMAC_SHORT_MESSAGE_BYTES_MAX) return createHmac('sha256', this.#key).update(message).digest();
    // Inner: H(ipad block || message), the ipad block already compressed.
    const blocks = n + 9 <= BLOCK_BYTES ? 1 : 2;
    const end = blocks * BLOCK_BYTES;
    block.set(message, 0);
    block[n] = 0x80;
    block.fill(0, n + 1, end - 2);
    const bits = (BLOCK_BYTES + n) * 8; // < 2^11: the last two bytes of the 64-bit length
    block[end - 2] = bits >>> 8;
    block[end - 1] = bits & 0xff;
    h.set(this.#inner);
    sha256Compress(h, block, 0);
    if (blocks === 2) sha256Compress(h, block, BLOCK_BYTES);
    // Outer: H(opad block || inner hash), one block: 32 bytes, 0x80, zeros, the length 768 bits.
    for (let i = 0; i < 8; i++) writeWord(block, 4 * i, h[i] as number);
    block[32] = 0x80;
    block.fill(0, 33, BLOCK_BYTES - 2);
    block[BLOCK_BYTES - 2] = (96 * 8) >>> 8;
    block[BLOCK_BYTES - 1] = (96 * 8) & 0xff;
    h.set(this.#outer);
    sha256Compress(h, block, 0);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i++) writeWord(out, 4 * i, h[i] as number);
    block.fill(0); // no key-derived bytes left behind in the scratch
    return out;
  }
}

function writeWord(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
