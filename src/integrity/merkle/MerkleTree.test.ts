import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../../errors.ts';
import { emptyRootHash, hashChildren, hashLeaf } from './hash.ts';
import { MerkleTree } from './MerkleTree.ts';
import { referenceMth } from './testutil/reference.ts';
import { toHex } from './testutil/vectors.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OtelAuditError ? error.code : 'not an OtelAuditError';
  }
  return undefined;
}

describe('MerkleTree', () => {
  it('the empty tree has SHA-256("") as its root', () => {
    const tree = new MerkleTree();
    expect(tree.size).toBe(0);
    expect(toHex(tree.root())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(tree.root()).toEqual(emptyRootHash());
  });

  it('append returns the leaf index; append(data) equals appendLeafHash(hashLeaf(data))', () => {
    const a = new MerkleTree();
    const b = new MerkleTree();
    for (let i = 0; i < 5; i++) {
      expect(a.append(Buffer.from([i]))).toBe(i);
      expect(b.appendLeafHash(hashLeaf(Buffer.from([i])))).toBe(i);
    }
    expect(a.size).toBe(5);
    expect(a.root()).toEqual(b.root());
  });

  it('32-byte leaves (record hashes: merged as words) give the RFC 9162 roots, computed with node:crypto', () => {
    const sha256 = (...parts: Uint8Array[]): Uint8Array =>
      new Uint8Array(hash('sha256', Buffer.concat(parts), 'buffer'));
    const leafHashes: Uint8Array[] = [];
    const tree = new MerkleTree();
    for (let i = 0; i < 70; i++) {
      const data = sha256(Buffer.from(`record ${i}`));
      leafHashes.push(sha256(Uint8Array.of(0), data));
      expect(tree.append(data)).toBe(i);
      expect(toHex(tree.root())).toBe(toHex(referenceMth(leafHashes)));
      expect(tree.state().frontier.length).toBe((i + 1).toString(2).replaceAll('0', '').length);
    }
    // The reference's own node hashes, by node:crypto, for a tree of 3 and 4.
    const [a, b, c, d] = leafHashes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);
    const four = new MerkleTree();
    for (let i = 0; i < 4; i++) four.append(sha256(Buffer.from(`record ${i}`)));
    expect(toHex(four.root())).toBe(toHex(node(node(a, b), node(c, d))));
  });

  it('keeps one frontier hash per set bit of the size', () => {
    const tree = new MerkleTree();
    for (let i = 1; i <= 1000; i++) {
      tree.append(Buffer.from(String(i)));
      const setBits = i.toString(2).replaceAll('0', '').length;
      expect(tree.state().frontier.length).toBe(setBits);
    }
  });

  it('root() does not change the tree and returns a fresh copy', () => {
    const tree = new MerkleTree();
    tree.append(Buffer.from('a'));
    const root = tree.root();
    root.fill(0);
    expect(tree.root()).toEqual(referenceMth([hashLeaf(Buffer.from('a'))]));
  });

  it('rejects leaf hashes that are not 32 bytes', () => {
    expect(codeOf(() => new MerkleTree().appendLeafHash(new Uint8Array(31)))).toBe('INVALID_ARGUMENT');
  });

  it('fromState rejects a frontier that does not fit the size', () => {
    const h = hashLeaf(Buffer.from('x'));
    expect(codeOf(() => MerkleTree.fromState({ size: 3, frontier: [h] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => MerkleTree.fromState({ size: -1, frontier: [] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => MerkleTree.fromState({ size: 1, frontier: [new Uint8Array(5)] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(MerkleTree.fromState({ size: 0, frontier: [] }).root()).toEqual(emptyRootHash());
  });

  it('handles sizes beyond 2^32 (no 32-bit bit operations)', () => {
    const h = hashLeaf(Buffer.from('x'));
    const size = 2 ** 33 + 2 ** 32 + 1; // three set bits
    const tree = MerkleTree.fromState({ size, frontier: [h, h, h] });
    expect(tree.appendLeafHash(h)).toBe(size);
    expect(tree.size).toBe(size + 1);
    expect(tree.state().frontier.length).toBe(3); // ...110 + 1 merges the lowest two into one
  });

  it('appendFolded with a subtree computed elsewhere leaves the tree appendLeafHash would', () => {
    const leaves = Array.from({ length: 64 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    for (let start = 0; start < 24; start++) {
      const plain = new MerkleTree();
      const folded = new MerkleTree();
      // A run of leaves from `start`: fold each leaf with the subtrees of the run before it.
      const stack: Array<{ level: number; hash: Uint8Array }> = [];
      for (let i = 0; i < leaves.length; i++) {
        const leaf = leaves[i] as Uint8Array;
        plain.appendLeafHash(leaf);
        if (i < start) {
          folded.appendLeafHash(leaf);
          continue;
        }
        let hash = leaf;
        let level = 0;
        for (let bits = i; bits % 2 === 1 && stack.at(-1)?.level === level; bits = Math.floor(bits / 2)) {
          hash = hashChildren((stack.pop() as { hash: Uint8Array }).hash, hash);
          level++;
        }
        stack.push({ level, hash });
        if (level === 0) folded.appendLeafHash(leaf);
        else folded.appendFolded(leaf, level, hash);
        expect(toHex(folded.root())).toBe(toHex(plain.root()));
      }
      expect(folded.state()).toEqual(plain.state());
    }
  });

  it('appendFolded refuses a subtree that does not end at the next leaf', () => {
    const tree = new MerkleTree();
    const h = hashLeaf(Buffer.from('x'));
    tree.appendLeafHash(h);
    tree.appendLeafHash(h); // size 2: the next leaf (index 2) ends no subtree of 2
    expect(codeOf(() => tree.appendFolded(h, 1, h))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => tree.appendFolded(h, 0, h))).toBe('INVALID_ARGUMENT');
    tree.appendLeafHash(h); // size 3: index 3 ends a subtree of 2 and of 4
    expect(codeOf(() => tree.appendFolded(h, 3, h))).toBe('INVALID_ARGUMENT');
    expect(tree.appendFolded(h, 2, h)).toBe(3);
  });
});
