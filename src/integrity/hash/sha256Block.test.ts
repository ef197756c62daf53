/**
 * sha256Compress directly (its users, the Merkle tree and HmacSha256, check it only through their own
 * outputs): a whole SHA-256 built on it (FIPS 180-4 §5.1.1 padding, then one compression per block)
 * equals node:crypto, on the standard's examples and on random messages of every length that spans one,
 * two and three blocks, with the blocks read at any offset of a larger buffer.
 */
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHA256_H0, sha256Compress } from './sha256Block.ts';

/** SHA-256 of `message` by padding it (at `offset` of a buffer with junk around it) and compressing each block. */
function sha256Of(message: Uint8Array, offset = 0): string {
  const blocks = Math.ceil((message.length + 9) / 64);
  const padded = new Uint8Array(offset + blocks * 64 + 7).fill(0xa5); // junk before and after the blocks
  padded.fill(0, offset, offset + blocks * 64);
  padded.set(message, offset);
  padded[offset + message.length] = 0x80;
  const bits = BigInt(message.length) * 8n;
  new DataView(padded.buffer).setBigUint64(offset + blocks * 64 - 8, bits, false);
  const h = Int32Array.from(SHA256_H0);
  const before = padded.slice();
  for (let b = 0; b < blocks; b++) sha256Compress(h, padded, offset + b * 64);
  expect(padded).toEqual(before); // it reads the blocks (and the junk around them) without writing
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(h[i] as number, 4 * i);
  return out.toString('hex');
}

const reference = (message: Uint8Array): string => createHash('sha256').update(message).digest('hex');

describe('sha256Compress', () => {
  it('gives the FIPS 180-4 example digests (empty, "abc", the two-block 448-bit message)', () => {
    expect(sha256Of(Buffer.from(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Of(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Of(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto for every length from 0 to 200 bytes (one to four blocks), at offsets 0 and 13', () => {
    for (let n = 0; n <= 200; n++) {
      const message = randomBytes(n);
      expect(sha256Of(message), `length ${n}`).toBe(reference(message));
      expect(sha256Of(message, 13), `length ${n} at offset 13`).toBe(reference(message));
    }
  });

  it('equals node:crypto on random messages and offsets, and leaves the bytes it reads as they were', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(100), (message, offset) => {
        expect(sha256Of(message, offset)).toBe(reference(message));
      }),
    );
  });
});
