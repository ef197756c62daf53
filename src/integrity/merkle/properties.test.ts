/**
 * Property tests: the generator against a literal transcription of the RFC
 * 9162 recursions (testutil/reference.ts), generated proofs verify, and
 * mutated proofs (flipped byte, dropped / added / duplicated element, wrong
 * index or size, swapped hashes) fail. Exhaustive for small trees, random up
 * to 300 leaves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashLeaf } from './hash.ts';
import { InMemoryLeafHashSource } from './InMemoryLeafHashSource.ts';
import { MerkleProver } from './MerkleProver.ts';
import { MerkleTree } from './MerkleTree.ts';
import { InMemorySubtreeHashCache } from './SubtreeHashCache.ts';
import { verifyConsistency } from './verifyConsistency.ts';
import { verifyInclusion } from './verifyInclusion.ts';
import { referenceMth, referencePath, referenceProof } from './testutil/reference.ts';
import { toHex } from './testutil/vectors.ts';

const LEAVES_MAX = 300;
const LEAF_HASHES = Array.from({ length: LEAVES_MAX }, (_, i) =>
  hashLeaf(Buffer.from([i & 0xff, i >> 8, 7])),
);
const SOURCE = new InMemoryLeafHashSource();
for (const hash of LEAF_HASHES) SOURCE.appendLeafHash(hash);
const PROVER = new MerkleProver(SOURCE);
const CACHED_PROVER = new MerkleProver(SOURCE, { cache: new InMemorySubtreeHashCache({ minLevel: 1 }) });
const ROOTS = ((): Uint8Array[] => {
  const tree = new MerkleTree();
  const roots = [tree.root()];
  for (const hash of LEAF_HASHES) {
    tree.appendLeafHash(hash);
    roots.push(tree.root());
  }
  return roots;
})();
const hex = (path: readonly Uint8Array[]): string[] => path.map(toHex);
const root = (size: number): Uint8Array => ROOTS[size] as Uint8Array;

/** A tree size in 1..300 and a leaf index in it. */
const inclusionCase = fc
  .integer({ min: 1, max: LEAVES_MAX })
  .chain((treeSize) =>
    fc.record({ treeSize: fc.constant(treeSize), leafIndex: fc.nat({ max: treeSize - 1 }) }),
  );
/** 1 <= first < second <= 300. */
const consistencyCase = fc
  .integer({ min: 2, max: LEAVES_MAX })
  .chain((second) =>
    fc.record({ second: fc.constant(second), first: fc.integer({ min: 1, max: second - 1 }) }),
  );

/** Ways to spoil a path; each must make verification fail. */
type Mutation =
  { kind: 'flip'; at: number; bit: number } | { kind: 'drop'; at: number } | { kind: 'add'; at: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat() }),
);

function mutate(path: readonly Uint8Array[], m: Mutation): Uint8Array[] | undefined {
  const out = [...path];
  if (m.kind === 'add') {
    out.splice(m.at % (path.length + 1), 0, LEAF_HASHES[m.at % LEAVES_MAX] as Uint8Array);
    return out;
  }
  if (path.length === 0) return undefined;
  const at = m.at % path.length;
  if (m.kind === 'drop') {
    out.splice(at, 1);
    return out;
  }
  const flipped = Uint8Array.from(path[at] as Uint8Array);
  flipped[m.bit % 32] = (flipped[m.bit % 32] as number) ^ (1 << (m.bit % 8));
  out[at] = flipped;
  return out;
}

describe('incremental root', () => {
  it('equals the recursive MTH for every size 0..300', () => {
    for (let n = 0; n <= LEAVES_MAX; n++) {
      expect(toHex(root(n)), `size ${n}`).toBe(toHex(referenceMth(LEAF_HASHES.slice(0, n))));
    }
  });

  it('equals MerkleProver.rootHash, and survives state() / fromState()', () => {
    fc.assert(
      fc.property(fc.nat({ max: LEAVES_MAX }), fc.nat({ max: 20 }), (n, more) => {
        expect(toHex(PROVER.rootHash(n))).toBe(toHex(root(n)));
        const tree = new MerkleTree();
        for (const hash of LEAF_HASHES.slice(0, n)) tree.appendLeafHash(hash);
        const resumed = MerkleTree.fromState(tree.state());
        const end = Math.min(LEAVES_MAX, n + more);
        for (const hash of LEAF_HASHES.slice(n, end)) resumed.appendLeafHash(hash);
        expect(toHex(resumed.root())).toBe(toHex(root(end)));
        expect(resumed.state().frontier.length).toBeLessThanOrEqual(Math.ceil(Math.log2(end + 1)));
      }),
    );
  });
});

describe('generation matches the RFC recursions', () => {
  it('exhaustively for every tree up to 40 leaves', () => {
    for (let n = 1; n <= 40; n++) {
      const d = LEAF_HASHES.slice(0, n);
      for (let m = 0; m < n; m++) {
        expect(hex(PROVER.inclusionProof({ leafIndex: m, treeSize: n })), `PATH(${m}, ${n})`).toEqual(
          hex(referencePath(m, d)),
        );
      }
      for (let m = 1; m <= n; m++) {
        expect(hex(PROVER.consistencyProof({ first: m, second: n })), `PROOF(${m}, ${n})`).toEqual(
          hex(referenceProof(m, d)),
        );
      }
    }
  });

  it('for random trees up to 300 leaves, with and without a cache', () => {
    fc.assert(
      fc.property(inclusionCase, consistencyCase, ({ treeSize, leafIndex }, { first, second }) => {
        const path = hex(referencePath(leafIndex, LEAF_HASHES.slice(0, treeSize)));
        expect(hex(PROVER.inclusionProof({ leafIndex, treeSize }))).toEqual(path);
        expect(hex(CACHED_PROVER.inclusionProof({ leafIndex, treeSize }))).toEqual(path);
        const proof = hex(referenceProof(first, LEAF_HASHES.slice(0, second)));
        expect(hex(PROVER.consistencyProof({ first, second }))).toEqual(proof);
        expect(hex(CACHED_PROVER.consistencyProof({ first, second }))).toEqual(proof);
      }),
    );
  });
});

describe('inclusion proofs', () => {
  it('generated proofs verify', () => {
    fc.assert(
      fc.property(inclusionCase, ({ treeSize, leafIndex }) => {
        const inclusionPath = PROVER.inclusionProof({ leafIndex, treeSize });
        const leafHash = LEAF_HASHES[leafIndex] as Uint8Array;
        expect(
          verifyInclusion({ leafIndex, treeSize, leafHash, inclusionPath, rootHash: root(treeSize) }),
        ).toEqual({
          ok: true,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('mutated paths fail', () => {
    fc.assert(
      fc.property(inclusionCase, mutation, ({ treeSize, leafIndex }, m) => {
        const path = mutate(PROVER.inclusionProof({ leafIndex, treeSize }), m);
        fc.pre(path !== undefined);
        const leafHash = LEAF_HASHES[leafIndex] as Uint8Array;
        const result = verifyInclusion({
          leafIndex,
          treeSize,
          leafHash,
          inclusionPath: path,
          rootHash: root(treeSize),
        });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a proof checked against another index or size fails', () => {
    fc.assert(
      fc.property(inclusionCase, inclusionCase, (a, b) => {
        fc.pre(a.leafIndex !== b.leafIndex || a.treeSize !== b.treeSize);
        const inclusionPath = PROVER.inclusionProof(a);
        const leafHash = LEAF_HASHES[a.leafIndex] as Uint8Array;
        // Claim the leaf of `a` sits at b's position: against the root of b's tree size it must fail.
        const moved = { leafIndex: b.leafIndex, treeSize: b.treeSize, leafHash, inclusionPath };
        expect(verifyInclusion({ ...moved, rootHash: root(b.treeSize) }).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('consistency proofs', () => {
  it('generated proofs verify', () => {
    fc.assert(
      fc.property(consistencyCase, ({ first, second }) => {
        const consistencyPath = PROVER.consistencyProof({ first, second });
        const input = { first, second, consistencyPath, firstHash: root(first), secondHash: root(second) };
        expect(verifyConsistency(input)).toEqual({ ok: true });
      }),
      { numRuns: 500 },
    );
  });

  it('mutated paths, swapped hashes and other sizes fail', () => {
    fc.assert(
      fc.property(consistencyCase, mutation, consistencyCase, ({ first, second }, m, other) => {
        const consistencyPath = PROVER.consistencyProof({ first, second });
        const base = { first, second, consistencyPath, firstHash: root(first), secondHash: root(second) };
        const path = mutate(consistencyPath, m);
        if (path !== undefined) expect(verifyConsistency({ ...base, consistencyPath: path }).ok).toBe(false);
        expect(verifyConsistency({ ...base, firstHash: root(second), secondHash: root(first) }).ok).toBe(
          false,
        );
        // Other sizes are checked against the roots of those sizes. (With the old hashes kept, a proof
        // can be well-formed for other sizes — e.g. [c] proves (1, 2) and (2, 4) alike when the second
        // hash is H(first hash, c) — but then the hashes are not this log's roots at those sizes, so
        // nothing false about the log is shown.)
        if (other.first !== first || other.second !== second) {
          const moved = { ...base, first: other.first, second: other.second };
          expect(
            verifyConsistency({ ...moved, firstHash: root(other.first), secondHash: root(other.second) }).ok,
          ).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
