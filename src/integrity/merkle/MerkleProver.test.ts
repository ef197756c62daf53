import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../../errors.ts';
import { InMemoryLeafHashSource } from './InMemoryLeafHashSource.ts';
import { MerkleProver } from './MerkleProver.ts';
import { InMemorySubtreeHashCache } from './SubtreeHashCache.ts';
import { verifyInclusion } from './verifyInclusion.ts';

function sourceOf(n: number): InMemoryLeafHashSource {
  const source = new InMemoryLeafHashSource();
  for (let i = 0; i < n; i++) source.append(Buffer.from(`record ${i}`));
  return source;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OtelAuditError ? error.code : 'not an OtelAuditError';
  }
  return undefined;
}

describe('MerkleProver', () => {
  it('rejects requests outside the source with INVALID_ARGUMENT', () => {
    const prover = new MerkleProver(sourceOf(5));
    expect(codeOf(() => prover.inclusionProof({ leafIndex: 5, treeSize: 5 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.inclusionProof({ leafIndex: 0, treeSize: 6 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.inclusionProof({ leafIndex: 0, treeSize: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.inclusionProof({ leafIndex: -1, treeSize: 3 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.inclusionProof({ leafIndex: 0.5, treeSize: 3 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.consistencyProof({ first: 0, second: 3 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.consistencyProof({ first: 4, second: 3 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.consistencyProof({ first: 1, second: 6 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => prover.rootHash(6))).toBe('INVALID_ARGUMENT');
  });

  it('proves against past tree sizes', () => {
    const source = sourceOf(20);
    const prover = new MerkleProver(source);
    const inclusionPath = prover.inclusionProof({ leafIndex: 3, treeSize: 7 });
    const input = {
      leafIndex: 3,
      treeSize: 7,
      leafHash: source.get(3),
      inclusionPath,
      rootHash: prover.rootHash(7),
    };
    expect(verifyInclusion(input)).toEqual({ ok: true });
    expect(prover.consistencyProof({ first: 7, second: 7 })).toEqual([]);
  });

  it('reads every other leaf once per proof without a cache', () => {
    const n = 1000;
    const prover = new MerkleProver(sourceOf(n));
    prover.inclusionProof({ leafIndex: 123, treeSize: n });
    expect(prover.leafReadCount).toBe(n - 1);
  });

  it('with a warm cache, reads O(log n * 2^minLevel) leaves per proof and gives the same proofs', () => {
    const n = 1000;
    const source = sourceOf(n);
    const cache = new InMemorySubtreeHashCache({ minLevel: 3 });
    const cached = new MerkleProver(source, { cache });
    const plain = new MerkleProver(source);
    cached.rootHash(n); // warms every aligned perfect subtree of >= 8 leaves
    const before = cached.leafReadCount;
    for (const leafIndex of [0, 1, 500, 998, 999]) {
      expect(cached.inclusionProof({ leafIndex, treeSize: n })).toEqual(
        plain.inclusionProof({ leafIndex, treeSize: n }),
      );
    }
    for (const first of [1, 8, 513, 999]) {
      expect(cached.consistencyProof({ first, second: n })).toEqual(
        plain.consistencyProof({ first, second: n }),
      );
    }
    const perProof = (cached.leafReadCount - before) / 9;
    expect(perProof).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) * 2 ** 3);
    expect(cache.entryCount).toBeGreaterThan(0);
    expect(cache.refusedCount).toBe(0);
  });

  it('a full cache refuses new entries and proofs stay correct', () => {
    const n = 300;
    const source = sourceOf(n);
    const cache = new InMemorySubtreeHashCache({ minLevel: 1, entriesMax: 10 });
    const cached = new MerkleProver(source, { cache });
    const plain = new MerkleProver(source);
    expect(cached.rootHash(n)).toEqual(plain.rootHash(n));
    expect(cache.entryCount).toBe(10);
    expect(cache.refusedCount).toBeGreaterThan(0);
    expect(cached.inclusionProof({ leafIndex: 77, treeSize: n })).toEqual(
      plain.inclusionProof({ leafIndex: 77, treeSize: n }),
    );
    cache.clear();
    expect(cache.entryCount).toBe(0);
  });
});
