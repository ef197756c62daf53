/**
 * RFC 9162 §2.1.4.2 "Verifying Consistency between Two Tree Heads", step for
 * step, plus what the RFC leaves to the caller:
 * - sizes must be safe integers with 0 < first <= second. §2.1.4.1 defines
 *   PROOF(m, D_n) for 0 < m < n only; first == 0 is rejected here rather than
 *   treated as trivially consistent (as some CT libraries do);
 * - first == second: the path must be empty and the two hashes equal
 *   (SUBPROOF(m, D_m, true) is empty);
 * - every hash must be 32 bytes.
 * The RFC's sn checks reject a path with leftover or missing elements.
 */
import { HASH_BYTES, equalBytes, hashChildren } from './hash.ts';
import { half, isIndex, isOdd, isPowerOfTwo } from './internal/treeMath.ts';
import { VERIFIED, proofFailed, type ProofVerification } from './ProofVerification.ts';

export interface ConsistencyProofInput {
  /** The earlier tree size. */
  readonly first: number;
  /** The later tree size. */
  readonly second: number;
  /** RFC 9162 consistency_path. */
  readonly consistencyPath: readonly Uint8Array[];
  /** MTH of the first `first` leaves. */
  readonly firstHash: Uint8Array;
  /** MTH of the first `second` leaves. */
  readonly secondHash: Uint8Array;
}

export function verifyConsistency(input: ConsistencyProofInput): ProofVerification {
  const { first, second, firstHash, secondHash } = input;
  if (!isIndex(first) || !isIndex(second) || first === 0 || first > second) {
    return proofFailed('INVALID_SIZE', `consistency needs 0 < first <= second, got ${first}, ${second}`);
  }
  const badHash = [firstHash, secondHash, ...input.consistencyPath].find(
    (hash) => hash.length !== HASH_BYTES,
  );
  if (badHash !== undefined) {
    return proofFailed('BAD_HASH_LENGTH', `a hash is ${badHash.length} bytes, expected ${HASH_BYTES}`);
  }
  if (first === second) {
    if (input.consistencyPath.length !== 0) {
      return proofFailed('PATH_TOO_LONG', `consistency path between equal sizes ${first} must be empty`);
    }
    if (!equalBytes(firstHash, secondHash)) {
      return proofFailed('ROOT_MISMATCH', `trees of equal size ${first} have different root hashes`);
    }
    return VERIFIED;
  }
  // 1. An empty consistency_path fails.
  if (input.consistencyPath.length === 0) {
    return proofFailed('PATH_TOO_SHORT', `consistency path from ${first} to ${second} is empty`);
  }
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(first) ? [firstHash, ...input.consistencyPath] : input.consistencyPath;
  // 3. fn = first - 1, sn = second - 1.
  let fn = first - 1;
  let sn = second - 1;
  // 4. While LSB(fn) is set, shift both.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = the first path element.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6. For each subsequent c:
  for (const c of path.slice(1)) {
    // a. sn == 0: stop and fail.
    if (sn === 0) {
      return proofFailed('PATH_TOO_LONG', `consistency path from ${first} to ${second} is too long`);
    }
    if (isOdd(fn) || fn === sn) {
      // b. fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr); if LSB(fn) unset, shift until set or 0.
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // c. sr = HASH(0x01 || sr || c).
      sr = hashChildren(sr, c);
    }
    // d. Shift both once.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr == first_hash, sr == second_hash, sn == 0.
  if (sn !== 0) {
    return proofFailed('PATH_TOO_SHORT', `consistency path from ${first} to ${second} is too short`);
  }
  if (!equalBytes(fr, firstHash)) {
    return proofFailed('ROOT_MISMATCH', `consistency path does not reproduce the root of size ${first}`);
  }
  if (!equalBytes(sr, secondHash)) {
    return proofFailed('ROOT_MISMATCH', `consistency path does not reproduce the root of size ${second}`);
  }
  return VERIFIED;
}
