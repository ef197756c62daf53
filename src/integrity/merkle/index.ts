/**
 * RFC 9162 (Certificate Transparency v2) §2.1 Merkle trees for the audit log:
 * tree hashing (§2.1.1), inclusion proofs (§2.1.3) and consistency proofs
 * (§2.1.4) — generation and verification.
 */
export { HASH_BYTES, emptyRootHash, equalBytes, hashChildren, hashLeaf } from './hash.ts';
export { MerkleTree } from './MerkleTree.ts';
export type { MerkleTreeState } from './MerkleTree.ts';
export type { LeafHashSource } from './LeafHashSource.ts';
export { InMemoryLeafHashSource } from './InMemoryLeafHashSource.ts';
export type { InMemoryLeafHashSourceOptions } from './InMemoryLeafHashSource.ts';
export { InMemorySubtreeHashCache } from './SubtreeHashCache.ts';
export type { InMemorySubtreeHashCacheOptions, SubtreeHashCache } from './SubtreeHashCache.ts';
export { MerkleProver } from './MerkleProver.ts';
export type { ConsistencyProofRequest, InclusionProofRequest, MerkleProverOptions } from './MerkleProver.ts';
export { verifyInclusion } from './verifyInclusion.ts';
export type { InclusionProofInput } from './verifyInclusion.ts';
export { verifyConsistency } from './verifyConsistency.ts';
export type { ConsistencyProofInput } from './verifyConsistency.ts';
export type { ProofFailure, ProofVerification } from './ProofVerification.ts';
