/**
 * The hand-written SHA-256 against node:crypto: known answers (FIPS 180-2
 * appendix B, the empty string), every accepted length over random bytes,
 * reuse of its scratch state across calls, and the length limit.
 */
import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashChildren, hashLeaf } from '../hash.ts';
import { SMALL_MESSAGE_BYTES_MAX, sha256Small } from './sha256Small.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeSha256 = (bytes: Uint8Array): string => hash('sha256', bytes, 'hex');

describe('sha256Small', () => {
  it('gives the FIPS 180-2 known answers', () => {
    expect(hex(sha256Small(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(sha256Small(Buffer.from('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    // 56 bytes: the padding no longer fits the first block (two blocks).
    expect(hex(sha256Small(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto for every length it accepts, over random bytes', () => {
    for (let length = 0; length <= SMALL_MESSAGE_BYTES_MAX; length++) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), (bytes) => {
          expect(hex(sha256Small(bytes))).toBe(nodeSha256(bytes));
        }),
        { numRuns: 40 },
      );
    }
  });

  it('hashes only the first `length` bytes when given a length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat(SMALL_MESSAGE_BYTES_MAX),
        (bytes, n) => {
          const length = Math.min(n, bytes.length);
          expect(hex(sha256Small(bytes, length))).toBe(nodeSha256(bytes.subarray(0, length)));
        },
      ),
    );
  });

  it('leaves no state behind: a long message then a short one hashes the short one alone', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 56, maxLength: SMALL_MESSAGE_BYTES_MAX }),
        fc.uint8Array({ minLength: 0, maxLength: 55 }),
        (long, short) => {
          sha256Small(long);
          expect(hex(sha256Small(short))).toBe(nodeSha256(short));
        },
      ),
    );
  });

  it('returns a fresh array each call (callers keep the hashes)', () => {
    const a = sha256Small(Buffer.from('a'));
    const b = sha256Small(Buffer.from('b'));
    expect(a).not.toBe(b);
    expect(hex(a)).toBe(nodeSha256(Buffer.from('a')));
  });

  it('refuses a message longer than two blocks can hold, and a length past the end', () => {
    expect(() => sha256Small(new Uint8Array(SMALL_MESSAGE_BYTES_MAX + 1))).toThrow(RangeError);
    expect(() => sha256Small(new Uint8Array(4), 5)).toThrow(RangeError);
  });

  it('refuses a length that is not a whole number (it would hash other bytes than asked)', () => {
    for (const length of [NaN, 1.5, -1, Infinity]) {
      expect(() => sha256Small(new Uint8Array(8), length)).toThrow(RangeError);
    }
  });
});

describe('the Merkle hashes built on it', () => {
  it('hashLeaf and hashChildren equal node:crypto over the RFC 9162 prefixes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (left, right) => {
          expect(hex(hashLeaf(left))).toBe(nodeSha256(Buffer.concat([Buffer.from([0]), left])));
          expect(hex(hashChildren(left, right))).toBe(
            nodeSha256(Buffer.concat([Buffer.from([1]), left, right])),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
