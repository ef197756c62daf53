/**
 * Edge cases of RFC 9162 §2.1.3.2 / §2.1.4.2 verification, including the
 * fixed probes of transparency-dev/merkle proof/verify_test.go
 * (TestVerifyInclusion, TestVerifyInclusionSingleEntry, TestVerifyConsistency).
 */
import { describe, expect, it } from 'vitest';
import { emptyRootHash, hashLeaf } from './hash.ts';
import { InMemoryLeafHashSource } from './InMemoryLeafHashSource.ts';
import { MerkleProver } from './MerkleProver.ts';
import type { ProofVerification } from './ProofVerification.ts';
import { verifyConsistency } from './verifyConsistency.ts';
import { verifyInclusion } from './verifyInclusion.ts';
import { fromHex } from './testutil/vectors.ts';

const SOME_HASH = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY = emptyRootHash();
const failure = (result: ProofVerification): string | undefined => (result.ok ? undefined : result.failure);

describe('verifyInclusion', () => {
  it('single-entry tree: the root is the leaf hash and the path is empty', () => {
    const hash = hashLeaf(Buffer.from('data'));
    const base = { leafIndex: 0, treeSize: 1, inclusionPath: [] };
    expect(verifyInclusion({ ...base, leafHash: hash, rootHash: hash }).ok).toBe(true);
    expect(failure(verifyInclusion({ ...base, leafHash: new Uint8Array(0), rootHash: hash }))).toBe(
      'BAD_HASH_LENGTH',
    );
    expect(failure(verifyInclusion({ ...base, leafHash: hash, rootHash: new Uint8Array(0) }))).toBe(
      'BAD_HASH_LENGTH',
    );
    expect(failure(verifyInclusion({ ...base, leafHash: hash, rootHash: SOME_HASH }))).toBe('ROOT_MISMATCH');
  });

  it('index >= size fails, including the empty tree', () => {
    for (const [leafIndex, treeSize] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [1, 1],
    ] as const) {
      const input = { leafIndex, treeSize, leafHash: SOME_HASH, inclusionPath: [], rootHash: EMPTY };
      expect(failure(verifyInclusion(input))).toBe('INDEX_OUT_OF_RANGE');
    }
  });

  it('rejects sizes that are not safe integers', () => {
    const base = { leafHash: SOME_HASH, inclusionPath: [], rootHash: SOME_HASH };
    expect(failure(verifyInclusion({ ...base, leafIndex: -1, treeSize: 1 }))).toBe('INVALID_SIZE');
    expect(failure(verifyInclusion({ ...base, leafIndex: 0, treeSize: 1.5 }))).toBe('INVALID_SIZE');
    expect(failure(verifyInclusion({ ...base, leafIndex: 0, treeSize: 2 ** 53 }))).toBe('INVALID_SIZE');
  });

  it('names a leftover element PATH_TOO_LONG and a missing one PATH_TOO_SHORT', () => {
    const source = new InMemoryLeafHashSource();
    for (let i = 0; i < 6; i++) source.append(Buffer.from([i]));
    const prover = new MerkleProver(source);
    const path = prover.inclusionProof({ leafIndex: 2, treeSize: 6 });
    const base = { leafIndex: 2, treeSize: 6, leafHash: source.get(2), rootHash: prover.rootHash(6) };
    expect(failure(verifyInclusion({ ...base, inclusionPath: [...path, SOME_HASH] }))).toBe('PATH_TOO_LONG');
    expect(failure(verifyInclusion({ ...base, inclusionPath: path.slice(1) }))).toBe('PATH_TOO_SHORT');
    expect(failure(verifyInclusion({ ...base, inclusionPath: [...path.slice(0, -1), SOME_HASH] }))).toBe(
      'ROOT_MISMATCH',
    );
  });
});

describe('verifyConsistency', () => {
  const source = new InMemoryLeafHashSource();
  for (let i = 0; i < 8; i++) source.append(Buffer.from([i]));
  const prover = new MerkleProver(source);
  const root = (n: number): Uint8Array => prover.rootHash(n);

  it('first == second: valid only with an empty path and equal hashes', () => {
    expect(
      verifyConsistency({
        first: 3,
        second: 3,
        consistencyPath: [],
        firstHash: root(3),
        secondHash: root(3),
      }),
    ).toEqual({ ok: true });
    const nonEmpty = { first: 1, second: 1, consistencyPath: [EMPTY], firstHash: EMPTY, secondHash: EMPTY };
    expect(failure(verifyConsistency(nonEmpty))).toBe('PATH_TOO_LONG');
    const differ = { first: 1, second: 1, consistencyPath: [], firstHash: EMPTY, secondHash: SOME_HASH };
    expect(failure(verifyConsistency(differ))).toBe('ROOT_MISMATCH');
  });

  it('first == 0 and first > second are invalid', () => {
    const base = { consistencyPath: [], firstHash: EMPTY, secondHash: EMPTY };
    expect(failure(verifyConsistency({ ...base, first: 0, second: 0 }))).toBe('INVALID_SIZE');
    expect(failure(verifyConsistency({ ...base, first: 0, second: 1 }))).toBe('INVALID_SIZE');
    expect(failure(verifyConsistency({ ...base, first: 1, second: 0 }))).toBe('INVALID_SIZE');
    expect(failure(verifyConsistency({ ...base, first: 2, second: 1 }))).toBe('INVALID_SIZE');
  });

  it('an empty path between different sizes fails', () => {
    const input = { first: 1, second: 2, consistencyPath: [], firstHash: root(1), secondHash: root(2) };
    expect(failure(verifyConsistency(input))).toBe('PATH_TOO_SHORT');
  });

  it('first a power of two: first_hash is implied, so sending it again fails', () => {
    const path = prover.consistencyProof({ first: 4, second: 7 });
    expect(path).toHaveLength(1); // MTH(D[4:7]) only; the verifier prepends MTH(D[0:4])
    const base = { first: 4, second: 7, firstHash: root(4), secondHash: root(7) };
    expect(verifyConsistency({ ...base, consistencyPath: path }).ok).toBe(true);
    expect(failure(verifyConsistency({ ...base, consistencyPath: [root(4), ...path] }))).toBe(
      'PATH_TOO_LONG',
    );
  });

  it('names length and hash failures', () => {
    const path = prover.consistencyProof({ first: 3, second: 7 });
    const base = { first: 3, second: 7, firstHash: root(3), secondHash: root(7) };
    expect(failure(verifyConsistency({ ...base, consistencyPath: [...path, SOME_HASH] }))).toBe(
      'PATH_TOO_LONG',
    );
    expect(failure(verifyConsistency({ ...base, consistencyPath: path.slice(0, -1) }))).toBe(
      'PATH_TOO_SHORT',
    );
    expect(failure(verifyConsistency({ ...base, firstHash: SOME_HASH, consistencyPath: path }))).toBe(
      'ROOT_MISMATCH',
    );
    expect(failure(verifyConsistency({ ...base, secondHash: SOME_HASH, consistencyPath: path }))).toBe(
      'ROOT_MISMATCH',
    );
    expect(
      failure(verifyConsistency({ ...base, consistencyPath: [...path.slice(1), new Uint8Array(31)] })),
    ).toBe('BAD_HASH_LENGTH');
  });
});
