/**
 * Known-answer tests against testdata/integrity/merkle/rfc6962-vectors.json —
 * vectors from Google's Certificate Transparency / transparency-dev (Trillian)
 * Merkle test data (see the file's `source`). Every vector is checked against
 * the generator (MerkleTree, MerkleProver) and the verifiers, and each known
 * proof is also corrupted the way transparency-dev's verifierCheck does.
 */
import { describe, expect, it } from 'vitest';
import { emptyRootHash, hashChildren, hashLeaf } from './hash.ts';
import { InMemoryLeafHashSource } from './InMemoryLeafHashSource.ts';
import { MerkleProver } from './MerkleProver.ts';
import { MerkleTree } from './MerkleTree.ts';
import { verifyConsistency } from './verifyConsistency.ts';
import { verifyInclusion } from './verifyInclusion.ts';
import { fromHex, loadVectors, toHex, type ShapeElement } from './testutil/vectors.ts';

const V = loadVectors();
const SOME_HASH = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');

function referenceProver(): MerkleProver {
  const source = new InMemoryLeafHashSource();
  for (const leaf of V.leaves) source.append(fromHex(leaf));
  return new MerkleProver(source);
}

function rootOf(size: number): Uint8Array {
  const root = V.roots.find((r) => r.treeSize === size);
  if (root === undefined) throw new Error(`no root for size ${size}`);
  return fromHex(root.rootHash);
}

function flipBit(path: readonly Uint8Array[], i: number, mask: number): Uint8Array[] {
  return path.map((h, j) => (j === i ? Uint8Array.from(h, (b, k) => (k === 0 ? b ^ mask : b)) : h));
}

describe('RFC 6962 hasher vectors', () => {
  for (const v of V.hasher) {
    it(v.description, () => {
      const got =
        v.kind === 'emptyRoot'
          ? emptyRootHash()
          : v.kind === 'leaf'
            ? hashLeaf(fromHex(v.leafData ?? ''))
            : hashChildren(fromHex(v.left ?? ''), fromHex(v.right ?? ''));
      expect(toHex(got)).toBe(v.hash);
    });
  }
});

describe('8-leaf reference tree', () => {
  it('incremental MerkleTree roots match every size 0..8', () => {
    const tree = new MerkleTree();
    expect(toHex(tree.root())).toBe(V.roots[0]?.rootHash);
    V.leaves.forEach((leaf, i) => {
      tree.append(fromHex(leaf));
      expect(toHex(tree.root())).toBe(V.roots[i + 1]?.rootHash);
    });
  });

  it('MerkleProver.rootHash matches every past size 0..8', () => {
    const prover = referenceProver();
    for (const { treeSize, rootHash } of V.roots) expect(toHex(prover.rootHash(treeSize))).toBe(rootHash);
  });

  it('leaf hashes and perfect-subtree hashes match nodeHashes', () => {
    const leafHashes = V.leaves.map((leaf) => toHex(hashLeaf(fromHex(leaf))));
    expect(leafHashes).toEqual(V.nodeHashes.levels[0]);
    const prover = referenceProver();
    V.nodeHashes.levels.forEach((nodes, level) => {
      nodes.forEach((hash, index) => {
        const width = 2 ** level;
        // A perfect subtree's hash is the root of the tree over its own leaves.
        const sub = new MerkleTree();
        for (let i = index * width; i < (index + 1) * width; i++) sub.append(fromHex(V.leaves[i] ?? ''));
        expect(toHex(sub.root())).toBe(hash);
      });
    });
    expect(toHex(prover.rootHash(8))).toBe(V.nodeHashes.levels[3]?.[0]);
  });
});

describe('inclusion proof vectors', () => {
  for (const v of V.inclusionProofs) {
    describe(`leaf ${v.leafIndex} in tree of size ${v.treeSize}`, () => {
      const path = v.inclusionPath.map(fromHex);
      const leafHash = hashLeaf(fromHex(V.leaves[v.leafIndex] ?? ''));
      const rootHash = rootOf(v.treeSize);
      const base = { leafIndex: v.leafIndex, treeSize: v.treeSize, leafHash, inclusionPath: path, rootHash };

      it('is generated exactly', () => {
        const got = referenceProver().inclusionProof({ leafIndex: v.leafIndex, treeSize: v.treeSize });
        expect(got.map(toHex)).toEqual(v.inclusionPath);
      });

      it('verifies', () => {
        expect(verifyInclusion(base)).toEqual({ ok: true });
      });

      it('fails when corrupted', () => {
        const probes = [
          { ...base, leafIndex: v.leafIndex - 1 },
          { ...base, leafIndex: v.leafIndex + 1 },
          { ...base, leafIndex: v.leafIndex ^ 2 },
          { ...base, treeSize: v.treeSize * 2 },
          { ...base, treeSize: Math.floor(v.treeSize / 2) },
          { ...base, leafHash: hashLeaf(Buffer.from('WrongLeaf')) },
          { ...base, rootHash: emptyRootHash() },
          { ...base, rootHash: SOME_HASH },
          { ...base, inclusionPath: [...path, new Uint8Array(0)] },
          { ...base, inclusionPath: [...path, rootHash] },
          { ...base, inclusionPath: [new Uint8Array(0), ...path] },
          { ...base, inclusionPath: [rootHash, ...path] },
          ...path.map((_, i) => ({ ...base, inclusionPath: flipBit(path, i, 8) })),
          ...(path.length > 0 ? [{ ...base, inclusionPath: path.slice(0, -1) }] : []),
          ...(path.length > 1
            ? [{ ...base, inclusionPath: [path[0] as Uint8Array, SOME_HASH, ...path.slice(1)] }]
            : []),
        ];
        for (const probe of probes) expect(verifyInclusion(probe).ok).toBe(false);
      });
    });
  }
});

describe('consistency proof vectors', () => {
  for (const v of V.consistencyProofs) {
    describe(`size ${v.first} to size ${v.second}`, () => {
      const path = v.consistencyPath.map(fromHex);
      const firstHash = rootOf(v.first);
      const secondHash = rootOf(v.second);
      const base = { first: v.first, second: v.second, consistencyPath: path, firstHash, secondHash };

      it('is generated exactly', () => {
        const got = referenceProver().consistencyProof({ first: v.first, second: v.second });
        expect(got.map(toHex)).toEqual(v.consistencyPath);
      });

      it('verifies', () => {
        expect(verifyConsistency(base)).toEqual({ ok: true });
      });

      it.skipIf(path.length === 0)('fails when corrupted', () => {
        const wrongRoot = Buffer.from('WrongRoot');
        const probes = [
          { ...base, first: v.first - 1 },
          { ...base, first: v.first + 1 },
          { ...base, first: v.first ^ 2 },
          { ...base, second: v.second * 2 },
          { ...base, second: Math.floor(v.second / 2) },
          { ...base, firstHash: wrongRoot },
          { ...base, secondHash: wrongRoot },
          { ...base, firstHash: SOME_HASH },
          { ...base, secondHash: SOME_HASH },
          { ...base, firstHash: secondHash, secondHash: firstHash },
          { ...base, consistencyPath: [] },
          { ...base, consistencyPath: [...path, new Uint8Array(0)] },
          { ...base, consistencyPath: [...path, firstHash] },
          { ...base, consistencyPath: [...path, secondHash] },
          { ...base, consistencyPath: [new Uint8Array(0), ...path] },
          { ...base, consistencyPath: [firstHash, ...path] },
          { ...base, consistencyPath: [secondHash, ...path] },
          { ...base, consistencyPath: [path[0] as Uint8Array, ...path] },
          { ...base, consistencyPath: path.slice(0, -1) },
          ...path.map((_, i) => ({ ...base, consistencyPath: flipBit(path, i, 16) })),
        ];
        for (const probe of probes) expect(verifyConsistency(probe).ok).toBe(false);
      });
    });
  }
});

describe('proof shapes (transparency-dev proof_test.go)', () => {
  // Shapes do not depend on leaf contents: use distinct synthetic leaves for trees up to 95.
  const source = new InMemoryLeafHashSource();
  for (let i = 0; i < 128; i++) source.append(Buffer.from(`leaf ${i}`));
  const prover = new MerkleProver(source);
  const nodeHash = ([level, index]: readonly [number, number]): Uint8Array => {
    const width = 2 ** level;
    const sub = new MerkleTree();
    for (let i = index * width; i < (index + 1) * width; i++) sub.appendLeafHash(source.get(i));
    return sub.root();
  };
  const expand = (element: ShapeElement): string => {
    const [firstNode, ...rest] = element;
    if (firstNode === undefined) throw new Error('empty shape element');
    let hash = nodeHash(firstNode);
    for (const node of rest) hash = hashChildren(nodeHash(node), hash);
    return toHex(hash);
  };

  for (const v of V.proofShapes.inclusion) {
    it(`inclusion of leaf ${v.leafIndex} in size ${v.treeSize}`, () => {
      const got = prover.inclusionProof({ leafIndex: v.leafIndex, treeSize: v.treeSize });
      expect(got.map(toHex)).toEqual(v.path.map(expand));
    });
  }
  for (const v of V.proofShapes.consistency) {
    it(`consistency from ${v.first} to ${v.second}`, () => {
      const got = prover.consistencyProof({ first: v.first, second: v.second });
      expect(got.map(toHex)).toEqual(v.path.map(expand));
    });
  }
});
