/**
 * SHA-256 (FIPS 180-4) of the Merkle tree's two fixed-size inputs, in plain
 * JavaScript with 32-bit integer arithmetic (hash/sha256Block.ts) and
 * preallocated scratch memory: a leaf, 0x00 || 32 bytes (one block), and an
 * interior node, 0x01 || 32 || 32 bytes (two blocks). At 33 and 65 bytes
 * node:crypto's per-call cost, not the hashing, is the whole price.
 *
 * Hand-written instead of node:crypto (the brief's rule: only where the
 * library is measured to be the bottleneck). Measured on the shared 2-vCPU
 * VM (SHA-NI), Node 24, CPU time (process.threadCpuUsage) of 1,000,000
 * calls after 200,000 warm-up calls, three interleaved A/B rounds:
 * 33 bytes (a leaf) `crypto.hash('sha256', …, 'buffer')` 0.89–1.12 µs per
 * call, a generic two-block JavaScript SHA-256 0.39–0.40 µs; 65 bytes (a
 * node) 0.88–1.03 µs vs 0.72–0.79 µs. Longer inputs (records) stay with
 * node:crypto, which is much faster per byte.
 *
 * The message words are read straight from the hashes (no padded copy of the
 * message), and a node's second block is 0x01 || … || R[31], 0x80, zeros and
 * the length (520 bits): its whole message schedule depends on the one byte
 * R[31], so the 256 possible schedules are computed once, at load (64 KiB),
 * and that block costs the 64 rounds only. Measured (one compression, CPU
 * time, 1,000,000 calls x 5 interleaved rounds): 296–317 ns scheduled per
 * call vs 172–176 ns precomputed. merkleSha256.test.ts checks both against
 * node:crypto over random hashes and every value of R[31].
 */
import { SHA256_H0, sha256Rounds, sha256Schedule } from '../../hash/sha256Block.ts';

/** The message schedule of the block being hashed (scratch: JavaScript runs one call at a time). */
const w = new Int32Array(64);
/** Its words plus K, as `sha256Rounds` takes them (scratch). */
const kw = new Int32Array(64);
/** The running hash value (scratch). */
const h = new Int32Array(8);

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const LEAF_MESSAGE_BITS = 33 * 8;
const NODE_MESSAGE_BITS = 65 * 8;
const WORDS_PER_SCHEDULE = 64;

/** For each value b of a node's last byte: W[t] + K[t] of its second block (b, 0x80, zeros, the length). */
const NODE_TAIL_KW = new Int32Array(256 * WORDS_PER_SCHEDULE);
for (let b = 0; b < 256; b++) {
  w.fill(0);
  w[0] = (b << 24) | 0x00800000;
  w[15] = NODE_MESSAGE_BITS;
  sha256Schedule(w, NODE_TAIL_KW, b * WORDS_PER_SCHEDULE);
}

/** SHA-256(0x00 || data) for a 32-byte `data` (not checked: the caller's job); a new 32-byte array. */
export function leafHash32(data: Uint8Array): Uint8Array {
  leafHashWords(data, h);
  return bytesOfWords(h);
}

/** SHA-256(0x01 || left || right) for 32-byte `left` and `right` (not checked); a new 32-byte array. */
export function nodeHash32(left: Uint8Array, right: Uint8Array): Uint8Array {
  wordsAfter(NODE_PREFIX, left, 0);
  wordsAfter(left[31] as number, right, 8);
  nodeRounds(right[31] as number, h);
  return bytesOfWords(h);
}

/**
 * `leafHash32(data)` as 8 big-endian words in `out`: a hash that is hashed again
 * (`nodeHashWords`) need not be made into bytes and read back.
 */
export function leafHashWords(data: Uint8Array, out: Int32Array): void {
  wordsAfter(LEAF_PREFIX, data, 0);
  w[8] = ((data[31] as number) << 24) | 0x00800000;
  for (let t = 9; t < 15; t++) w[t] = 0;
  w[15] = LEAF_MESSAGE_BITS;
  out.set(SHA256_H0);
  sha256Schedule(w, kw, 0);
  sha256Rounds(out, kw, 0);
}

/** `nodeHash32(left, right)` with `right` as 8 words (`leafHashWords`), into `out` (which may be `right`). */
export function nodeHashWords(left: Uint8Array, right: Int32Array, out: Int32Array): void {
  wordsAfter(NODE_PREFIX, left, 0);
  // Bytes 33..63 of the message are right[0..30]: each word is the last byte of `left` or of the
  // word before, then three bytes of this one.
  let before = left[31] as number;
  for (let j = 0; j < 8; j++) {
    const r = right[j] as number;
    w[8 + j] = (before << 24) | (r >>> 8);
    before = r & 0xff;
  }
  nodeRounds(before, out);
}

/** The hash `state` (8 words) as a new 32-byte array. */
export function bytesOfWords(state: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i] as number;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}

/** A node's hash into `out`: the first block's words are in `w`; `last` is the message's last byte. */
function nodeRounds(last: number, out: Int32Array): void {
  out.set(SHA256_H0);
  sha256Schedule(w, kw, 0);
  sha256Rounds(out, kw, 0);
  sha256Rounds(out, NODE_TAIL_KW, last * WORDS_PER_SCHEDULE);
}

/** `w[at..at+7]`: the big-endian words of the byte `first` followed by `src[0..30]`. */
function wordsAfter(first: number, src: Uint8Array, at: number): void {
  w[at] = (first << 24) | ((src[0] as number) << 16) | ((src[1] as number) << 8) | (src[2] as number);
  for (let j = 1; j < 8; j++) {
    const o = 4 * j;
    w[at + j] =
      ((src[o - 1] as number) << 24) |
      ((src[o] as number) << 16) |
      ((src[o + 1] as number) << 8) |
      (src[o + 2] as number);
  }
}
