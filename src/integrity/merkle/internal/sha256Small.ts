/**
 * SHA-256 (FIPS 180-4) of a short message, at most `SMALL_MESSAGE_BYTES_MAX`
 * bytes (two blocks after padding), in plain JavaScript with 32-bit integer
 * arithmetic and preallocated scratch memory. It exists for the Merkle tree's
 * fixed-size inputs only — a leaf is 0x00 || 32 bytes (one block), an
 * interior node 0x01 || 32 || 32 bytes (two blocks) — because there
 * node:crypto's per-call cost, not the hashing, is the whole price.
 *
 * Hand-written instead of node:crypto (the brief's rule: only where the
 * library is measured to be the bottleneck). Measured on the shared 2-vCPU
 * VM (SHA-NI), Node 24, CPU time (process.threadCpuUsage) of 1,000,000
 * calls after 200,000 warm-up calls, three interleaved A/B rounds:
 * 33 bytes (a leaf) `crypto.hash('sha256', …, 'buffer')` 0.89–1.12 µs per
 * call, this 0.39–0.40 µs; 65 bytes (a node) 0.88–1.03 µs vs 0.72–0.79 µs.
 * MerkleTree.append (one leaf hash + amortized one node hash) went from
 * 2.2–3.2 to 1.35–1.45 µs per leaf, ChainState.link from 10.2–11.6 to
 * 9.5–9.8 µs per bench record. Longer inputs (records) stay with
 * node:crypto, which is much faster per byte (SHA-NI).
 * sha256Small.test.ts checks it against node:crypto over random inputs of
 * every length it accepts.
 */

import { SHA256_H0, sha256Compress } from '../../hash/sha256Block.ts';

/** The longest message `sha256Small` takes: 2 blocks minus the 0x80 byte and the 8-byte length. */
export const SMALL_MESSAGE_BYTES_MAX = 128 - 9;

/** The padded message (up to two blocks); reused, as JavaScript runs one call at a time. */
const block = new Uint8Array(128);
/** The running hash value. */
const h = new Int32Array(8);

/**
 * SHA-256 of `message.subarray(0, length)` (or of all of `message`), which must be at most
 * `SMALL_MESSAGE_BYTES_MAX` bytes (a whole number; anything else throws RangeError); returns a new 32-byte array.
 */
export function sha256Small(message: Uint8Array, length: number = message.length): Uint8Array {
  // Written so that NaN and fractions fail too (they would index the scratch block wrongly and hash other bytes).
  if (
    !(length >= 0 && length <= SMALL_MESSAGE_BYTES_MAX && length <= message.length) ||
    (length | 0) !== length
  ) {
    throw new RangeError(`sha256Small takes 0..${SMALL_MESSAGE_BYTES_MAX} bytes, got ${length}`);
  }
  const blocks = length + 9 <= 64 ? 1 : 2;
  const end = blocks * 64;
  for (let i = 0; i < length; i++) block[i] = message[i] as number;
  block[length] = 0x80;
  for (let i = length + 1; i < end - 4; i++) block[i] = 0;
  // The length in bits as a 64-bit big-endian integer; it is < 2^10, so only the last two bytes are non-zero.
  const bits = length * 8;
  block[end - 4] = 0;
  block[end - 3] = 0;
  block[end - 2] = bits >>> 8;
  block[end - 1] = bits & 0xff;
  h.set(SHA256_H0);
  sha256Compress(h, block, 0);
  if (blocks === 2) sha256Compress(h, block, 64);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = h[i] as number;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}
