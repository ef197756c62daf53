/**
 * The outcome of verifying an RFC 9162 §2.1.3.2 inclusion proof or §2.1.4.2
 * consistency proof. `failure` is a stable code (tests and tools branch on
 * it); `reason` is a human-readable sentence.
 */

export type ProofFailure =
  /** A size or index is not a safe integer >= 0, or the sizes are not 0 < first <= second. */
  | 'INVALID_SIZE'
  /** Inclusion: leaf_index >= tree_size. */
  | 'INDEX_OUT_OF_RANGE'
  /** A leaf, root or path hash is not 32 bytes. */
  | 'BAD_HASH_LENGTH'
  /** The path has more elements than the sizes call for. */
  | 'PATH_TOO_LONG'
  /** The path has fewer elements than the sizes call for (including an empty one). */
  | 'PATH_TOO_SHORT'
  /** The path has the right length but does not reproduce the given root hash(es). */
  | 'ROOT_MISMATCH';

export type ProofVerification =
  { readonly ok: true } | { readonly ok: false; readonly failure: ProofFailure; readonly reason: string };

export const VERIFIED: ProofVerification = Object.freeze({ ok: true });

export function proofFailed(failure: ProofFailure, reason: string): ProofVerification {
  return { ok: false, failure, reason };
}
