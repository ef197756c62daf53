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

/** The longest message `sha256Small` takes: 2 blocks minus the 0x80 byte and the 8-byte length. */
export const SMALL_MESSAGE_BYTES_MAX = 128 - 9;

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** The padded message (up to two blocks); reused, as JavaScript runs one call at a time. */
const block = new Uint8Array(128);
/** The message schedule. */
const w = new Int32Array(64);
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
  h.set(H0);
  compress(0);
  if (blocks === 2) compress(64);
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

/** FIPS 180-4 §6.2.2 steps 1–4 over the block at `offset` of `block`, updating `h`. */
function compress(offset: number): void {
  for (let t = 0; t < 16; t++) {
    const o = offset + 4 * t;
    w[t] =
      ((block[o] as number) << 24) |
      ((block[o + 1] as number) << 16) |
      ((block[o + 2] as number) << 8) |
      (block[o + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (s1 + (w[t - 7] as number) + s0 + (w[t - 16] as number)) | 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let hh = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = g ^ (e & (f ^ g));
    const t1 = (hh + S1 + ch + (K[t] as number) + (w[t] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) | (c & (a | b));
    const t2 = (S0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + hh) | 0;
}
