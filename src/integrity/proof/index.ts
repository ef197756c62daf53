/**
 * Inclusion and consistency proofs over a WAL, as JSON documents a third
 * party checks with the public key alone (docs/integrity.md, "Proofs").
 */
export { LEAF_HASH_CHUNK_LEAVES, LeafHashArray } from './LeafHashArray.ts';
export { WalLeafHashSource, readWalRecord } from './WalLeafHashSource.ts';
export type { CheckpointRef, StoredCheckpoint, WalLeafHashSourceOptions } from './WalLeafHashSource.ts';
export { buildConsistencyProof, buildInclusionProof, selectCheckpoint } from './generateProof.ts';
export type { ConsistencyProofResult, InclusionProofOptions, InclusionProofResult } from './generateProof.ts';
export { PROOF_BYTES_MAX, PROOF_FORMAT_VERSION, formatProof } from './ProofDocument.ts';
export type { ConsistencyProofDocument, InclusionProofDocument, ProofDocument } from './ProofDocument.ts';
export { describeRecord } from './describeRecord.ts';
export type { RecordDescription } from './describeRecord.ts';
export { parseProof } from './parseProof.ts';
export type { ParsedConsistencyProof, ParsedInclusionProof, ParsedProof } from './parseProof.ts';
export { verifyProof, verifyProofDocument } from './verifyProof.ts';
export type {
  CheckpointSummary,
  ConsistencyVerified,
  InclusionVerified,
  ProofCheck,
  ProofCheckFailure,
  ProofRejected,
} from './ProofCheck.ts';
export { ProofInvalidError, ProofMalformedError, ProofTooLargeError } from './errors.ts';
