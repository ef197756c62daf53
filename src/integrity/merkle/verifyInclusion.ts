/**
 * RFC 9162 §2.1.3.2 "Verifying an Inclusion Proof", step for step, plus
 * input checks: sizes must be safe integers and every hash 32 bytes. The
 * RFC's checks reject a path with leftover elements (sn reaches 0 early) or
 * missing ones (sn is not 0 at the end).
 */
import { HASH_BYTES, equalBytes, hashChildren } from './hash.ts';
import { half, isIndex, isOdd } from './internal/treeMath.ts';
import { VERIFIED, proofFailed, type ProofVerification } from './ProofVerification.ts';

export interface InclusionProofInput {
  /** 0-based index of the leaf. */
  readonly leafIndex: number;
  /** Size of the tree whose root is `rootHash`. */
  readonly treeSize: number;
  /** SHA-256(0x00 || leaf data). */
  readonly leafHash: Uint8Array;
  /** The audit path, from the leaf's sibling up (RFC 9162 inclusion_path). */
  readonly inclusionPath: readonly Uint8Array[];
  /** MTH of the tree of `treeSize` leaves. */
  readonly rootHash: Uint8Array;
}

export function verifyInclusion(input: InclusionProofInput): ProofVerification {
  const { leafIndex, treeSize, leafHash, inclusionPath, rootHash } = input;
  if (!isIndex(leafIndex) || !isIndex(treeSize)) {
    return proofFailed(
      'INVALID_SIZE',
      `leaf index ${leafIndex} / tree size ${treeSize} not safe integers >= 0`,
    );
  }
  const badHash = [leafHash, rootHash, ...inclusionPath].find((hash) => hash.length !== HASH_BYTES);
  if (badHash !== undefined) {
    return proofFailed('BAD_HASH_LENGTH', `a hash is ${badHash.length} bytes, expected ${HASH_BYTES}`);
  }
  // 1. leaf_index >= tree_size fails.
  if (leafIndex >= treeSize) {
    return proofFailed('INDEX_OUT_OF_RANGE', `leaf index ${leafIndex} is not in a tree of size ${treeSize}`);
  }
  // 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  // 4. For each p in inclusion_path:
  for (const p of inclusionPath) {
    // a. sn == 0: stop and fail.
    if (sn === 0) {
      return proofFailed('PATH_TOO_LONG', `inclusion path for leaf ${leafIndex} of ${treeSize} is too long`);
    }
    if (isOdd(fn) || fn === sn) {
      // b. r = HASH(0x01 || p || r); if LSB(fn) unset, shift until LSB(fn) is set or fn is 0.
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // c. r = HASH(0x01 || r || p).
      r = hashChildren(r, p);
    }
    // d. Shift both once.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. sn must be 0 and r must equal the root.
  if (sn !== 0) {
    return proofFailed('PATH_TOO_SHORT', `inclusion path for leaf ${leafIndex} of ${treeSize} is too short`);
  }
  if (!equalBytes(r, rootHash)) {
    return proofFailed('ROOT_MISMATCH', `inclusion path for leaf ${leafIndex} does not lead to the root`);
  }
  return VERIFIED;
}
