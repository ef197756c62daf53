/**
 * The hand-written Merkle hashes against node:crypto: random hashes, every
 * value of a node's last byte (its second block's schedule comes from a
 * table of 256), reuse of the scratch state across calls, fresh results.
 */
import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashChildren, hashLeaf } from '../hash.ts';
import { bytesOfWords, leafHash32, leafHashWords, nodeHash32, nodeHashWords } from './merkleSha256.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeSha256 = (...parts: Uint8Array[]): string => hash('sha256', Buffer.concat(parts), 'hex');
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('leafHash32 and nodeHash32', () => {
  it('equal node:crypto over the RFC 9162 prefixes, for random hashes', () => {
    fc.assert(
      fc.property(hash32, hash32, (left, right) => {
        expect(hex(leafHash32(left))).toBe(nodeSha256(LEAF, left));
        expect(hex(nodeHash32(left, right))).toBe(nodeSha256(NODE, left, right));
      }),
      { numRuns: 1000 },
    );
  });

  it('equal node:crypto for every value of the last byte of each input', () => {
    fc.assert(
      fc.property(hash32, hash32, (left, right) => {
        for (let b = 0; b < 256; b++) {
          right[31] = b;
          left[31] = 255 - b;
          expect(hex(nodeHash32(left, right))).toBe(nodeSha256(NODE, left, right));
          expect(hex(leafHash32(right))).toBe(nodeSha256(LEAF, right));
        }
      }),
      { numRuns: 4 },
    );
  });

  it('give the known answers for all-zero and all-0xff hashes', () => {
    const zero = new Uint8Array(32);
    const ones = new Uint8Array(32).fill(0xff);
    expect(hex(leafHash32(zero))).toBe(nodeSha256(LEAF, zero));
    expect(hex(leafHash32(ones))).toBe(nodeSha256(LEAF, ones));
    expect(hex(nodeHash32(zero, ones))).toBe(nodeSha256(NODE, zero, ones));
    expect(hex(nodeHash32(ones, zero))).toBe(nodeSha256(NODE, ones, zero));
  });

  it('return a fresh array each call, and leave no state behind between calls', () => {
    const a = new Uint8Array(32).fill(7);
    const b = new Uint8Array(32).fill(9);
    const first = leafHash32(a);
    nodeHash32(b, a);
    const again = leafHash32(a);
    expect(again).not.toBe(first);
    expect(hex(again)).toBe(hex(first));
    expect(hex(nodeHash32(a, b))).toBe(nodeSha256(NODE, a, b));
  });

  it('as words (leafHashWords, nodeHashWords into its own right operand) give the same hashes', () => {
    fc.assert(
      fc.property(hash32, hash32, hash32, (a, b, c) => {
        const acc = new Int32Array(8);
        leafHashWords(c, acc);
        expect(hex(bytesOfWords(acc))).toBe(nodeSha256(LEAF, c));
        const leaf = bytesOfWords(acc);
        nodeHashWords(b, acc, acc);
        const node = nodeSha256(NODE, b, leaf);
        expect(hex(bytesOfWords(acc))).toBe(node);
        nodeHashWords(a, acc, acc);
        expect(hex(bytesOfWords(acc))).toBe(nodeSha256(NODE, a, Buffer.from(node, 'hex')));
      }),
      { numRuns: 500 },
    );
    // Every value of the right operand's last byte (the second block's schedule table).
    const left = new Uint8Array(32).fill(3);
    const right = new Uint8Array(32).fill(5);
    const words = new Int32Array(8);
    for (let b = 0; b < 256; b++) {
      right[31] = b;
      for (let i = 0; i < 8; i++) words[i] = new DataView(right.buffer).getInt32(4 * i);
      nodeHashWords(left, words, words);
      expect(hex(bytesOfWords(words))).toBe(nodeSha256(NODE, left, right));
    }
  });

  it('are what hashLeaf and hashChildren use for 32-byte inputs (other lengths: node:crypto)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), hash32, (data, right) => {
        expect(hex(hashLeaf(data))).toBe(nodeSha256(LEAF, data));
        expect(hex(hashChildren(data, right))).toBe(nodeSha256(NODE, data, right));
      }),
      { numRuns: 300 },
    );
  });
});
