/**
 * The outcome of checking a proof document (verifyProof.ts). `failure` is a
 * stable code (tests and tools branch on it); `reason` a sentence. The
 * Merkle codes are those of `ProofVerification` (RFC 9162 path checks).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import type { ProofFailure } from '../merkle/ProofVerification.ts';

export type ProofCheckFailure =
  /** The checkpoint carries algorithm `none`: nothing vouches for its root. */
  | 'UNSIGNED'
  /** Signed by a key that is not among the trusted ones (or an algorithm no trusted key serves). */
  | 'UNKNOWN_KEY'
  /** The checkpoint signature does not verify with the trusted key. */
  | 'BAD_SIGNATURE'
  /** stream_id of the proof, its checkpoint(s) and its record disagree. */
  | 'STREAM_MISMATCH'
  /** tree_size / leaf_index disagree with the checkpoint(s), or first > second. */
  | 'SIZE_MISMATCH'
  /** The embedded record does not hash to record_hash, or leaf_hash is not the leaf hash of record_hash. */
  | 'RECORD_MISMATCH'
  /** The record's audit.sequence.number is not leaf_index + 1. */
  | 'POSITION_MISMATCH'
  /** The checkpoint's chain head contradicts the proven record (last leaf), or two equal-size checkpoints. */
  | 'CHAIN_HEAD_MISMATCH'
  | ProofFailure;

/** What a checkpoint in a verified proof says, and who signed it. */
export interface CheckpointSummary {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly chainHead: string;
  readonly timeUnixNano: bigint;
  readonly algorithm: string;
  /** The trusted key that verified the signature. */
  readonly keyId: string;
}

export interface InclusionVerified {
  readonly ok: true;
  readonly type: 'inclusion';
  readonly streamId: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The record's IntegrityHash, recomputed from the embedded record (hex). */
  readonly recordHash: string;
  /** The embedded record, decoded: this is the content the proof vouches for. */
  readonly record: AuditRecord;
  readonly checkpoint: CheckpointSummary;
}

export interface ConsistencyVerified {
  readonly ok: true;
  readonly type: 'consistency';
  readonly streamId: string;
  readonly first: CheckpointSummary;
  readonly second: CheckpointSummary;
}

export interface ProofRejected {
  readonly ok: false;
  readonly type: 'inclusion' | 'consistency';
  readonly failure: ProofCheckFailure;
  readonly reason: string;
}

export type ProofCheck = InclusionVerified | ConsistencyVerified | ProofRejected;
