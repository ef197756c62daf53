/**
 * The SHA-256 compression function (FIPS 180-4 §6.2.2) in plain JavaScript
 * with 32-bit integer arithmetic: one 64-byte block into a hash value. For
 * short fixed-shape inputs where node:crypto's per-call cost, not the
 * hashing, is the whole price (the Merkle tree's leaves and nodes,
 * merkle/internal/merkleSha256.ts; HMAC-SHA256 of short values with the key's
 * padded blocks compressed once, hmacSha256.ts). Longer inputs belong to
 * node:crypto (SHA-NI). Checked against node:crypto directly (sha256Block.test.ts) and through its users' tests.
 */

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
export const SHA256_H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** The message schedule (scratch: JavaScript runs one call at a time). */
const w = new Int32Array(64);
/** `w` plus K, word by word (scratch), as `sha256Rounds` takes it. */
const kw = new Int32Array(64);

/** FIPS 180-4 §6.2.2 steps 1–4: the 64-byte block at `offset` of `bytes` into the hash value `h` (8 words). */
export function sha256Compress(h: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const o = offset + 4 * t;
    w[t] =
      ((bytes[o] as number) << 24) |
      ((bytes[o + 1] as number) << 16) |
      ((bytes[o + 2] as number) << 8) |
      (bytes[o + 3] as number);
  }
  sha256Schedule(w, kw, 0);
  sha256Rounds(h, kw, 0);
}

/**
 * FIPS 180-4 §6.2.2 step 1 plus the round constants: from the block's 16 big-endian words in
 * `words[0..15]`, fills `words[16..63]` with the rest of the message schedule and writes
 * W[t] + K[t] (t = 0..63) to `out` from `outOffset` on. A block whose schedule is known in
 * advance (merkle/internal/merkleSha256.ts: the second block of an interior node) is scheduled once.
 */
export function sha256Schedule(words: Int32Array, out: Int32Array, outOffset: number): void {
  for (let t = 0; t < 16; t++) out[outOffset + t] = ((words[t] as number) + (K[t] as number)) | 0;
  for (let t = 16; t < 64; t++) {
    const x = words[t - 15] as number;
    const y = words[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    const v = (s1 + (words[t - 7] as number) + s0 + (words[t - 16] as number)) | 0;
    words[t] = v;
    out[outOffset + t] = (v + (K[t] as number)) | 0;
  }
}

/** FIPS 180-4 §6.2.2 steps 2–4: the 64 rounds over W[t] + K[t] at `kwOffset` of `kw` (`sha256Schedule`), into `h`. */
export function sha256Rounds(h: Int32Array, kw: Int32Array, kwOffset: number): void {
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
    const t1 = (hh + S1 + ch + (kw[kwOffset + t] as number)) | 0;
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
