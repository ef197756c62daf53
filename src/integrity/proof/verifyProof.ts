/**
 * Checks a proof with nothing but the proof and trusted public keys:
 *
 * inclusion — 1. the checkpoint's signature (KeyRing; unsigned, unknown key
 *   and bad signature fail); 2. stream and tree size agree with it;
 *   3. the embedded record's IntegrityHash, recomputed from its content
 *   (projection.ts), equals `record_hash`, and `leaf_hash` is its leaf hash
 *   — so the record shown is exactly what is proven; 4. the record's own
 *   `audit.sequence.stream_id` / `.number` name this stream and leaf; 5. the
 *   RFC 9162 §2.1.3.2 path leads from the leaf to the signed root (and, for
 *   the last leaf, the signed chain head is this record).
 * consistency — both signatures, one stream, first size <= second, and the
 *   RFC 9162 §2.1.4.2 path reproduces both signed roots.
 *
 * The first failing check is reported; the result never throws for a
 * well-formed proof (parseProof.ts throws for a malformed one).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { recordHash } from '../canonical/projection.ts';
import { checkpointSignedBytes, type SignedCheckpoint } from '../chain/checkpoint.ts';
import { attr } from '../chain/recoverChain.ts';
import { equalBytes, hashLeaf } from '../merkle/hash.ts';
import { verifyConsistency } from '../merkle/verifyConsistency.ts';
import { verifyInclusion } from '../merkle/verifyInclusion.ts';
import { ATTR_INTEGRITY_HASH, ATTR_SEQUENCE_NUMBER, ATTR_SEQUENCE_STREAM_ID } from '../names.ts';
import { isSignatureAlgorithm } from '../sign/algorithms.ts';
import type { KeyRing } from '../sign/KeyRing.ts';
import {
  parseProof,
  type ParsedConsistencyProof,
  type ParsedInclusionProof,
  type ParsedProof,
} from './parseProof.ts';
import type { CheckpointSummary, ProofCheck, ProofCheckFailure, ProofRejected } from './ProofCheck.ts';

const hex = (bytes: Uint8Array | undefined): string => (bytes ? Buffer.from(bytes).toString('hex') : '');

/** Parses (throws `ProofMalformedError`) and verifies a proof file's content. */
export function verifyProofDocument(input: string | Uint8Array, keys: KeyRing): ProofCheck {
  return verifyProof(parseProof(input), keys);
}

export function verifyProof(proof: ParsedProof, keys: KeyRing): ProofCheck {
  return proof.type === 'inclusion' ? checkInclusion(proof, keys) : checkConsistency(proof, keys);
}

function checkInclusion(p: ParsedInclusionProof, keys: KeyRing): ProofCheck {
  const reject = (failure: ProofCheckFailure, reason: string): ProofRejected => ({
    ok: false,
    type: 'inclusion',
    failure,
    reason,
  });
  const signed = checkSignature(p.checkpoint, keys, 'checkpoint');
  if (!signed.ok) return reject(signed.failure, signed.reason);
  const c = p.checkpoint.checkpoint;
  if (c.streamId !== p.streamId) {
    return reject(
      'STREAM_MISMATCH',
      `the checkpoint is for stream ${c.streamId}, the proof for ${p.streamId}`,
    );
  }
  if (c.treeSize !== p.treeSize) {
    return reject('SIZE_MISMATCH', `tree_size ${p.treeSize} but the signed checkpoint is at ${c.treeSize}`);
  }
  const recomputed = recordHash(p.record);
  if (!equalBytes(recomputed, p.recordHash)) {
    return reject(
      'RECORD_MISMATCH',
      `the embedded record hashes to ${hex(recomputed)}, not record_hash ${hex(p.recordHash)}`,
    );
  }
  if (!equalBytes(hashLeaf(p.recordHash), p.leafHash)) {
    return reject('RECORD_MISMATCH', 'leaf_hash is not SHA-256(0x00 || record_hash)');
  }
  const position = checkPosition(p.record, p);
  if (position !== undefined) return reject(position.failure, position.reason);
  const merkle = verifyInclusion({
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    leafHash: p.leafHash,
    inclusionPath: p.inclusionPath,
    rootHash: c.rootHash,
  });
  if (!merkle.ok) return reject(merkle.failure, merkle.reason);
  if (p.leafIndex === p.treeSize - 1 && !equalBytes(c.chainHead ?? new Uint8Array(0), p.recordHash)) {
    return reject(
      'CHAIN_HEAD_MISMATCH',
      `record ${p.leafIndex + 1} is the last of the tree but not the signed chain head`,
    );
  }
  return {
    ok: true,
    type: 'inclusion',
    streamId: p.streamId,
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    recordHash: hex(recomputed),
    record: p.record,
    checkpoint: summary(p.checkpoint, signed.keyId),
  };
}

function checkConsistency(p: ParsedConsistencyProof, keys: KeyRing): ProofCheck {
  const reject = (failure: ProofCheckFailure, reason: string): ProofRejected => ({
    ok: false,
    type: 'consistency',
    failure,
    reason,
  });
  const firstSigned = checkSignature(p.first, keys, 'first checkpoint');
  if (!firstSigned.ok) return reject(firstSigned.failure, firstSigned.reason);
  const secondSigned = checkSignature(p.second, keys, 'second checkpoint');
  if (!secondSigned.ok) return reject(secondSigned.failure, secondSigned.reason);
  const first = p.first.checkpoint;
  const second = p.second.checkpoint;
  for (const c of [first, second]) {
    if (c.streamId !== p.streamId) {
      return reject(
        'STREAM_MISMATCH',
        `a checkpoint is for stream ${c.streamId}, the proof for ${p.streamId}`,
      );
    }
  }
  if (first.treeSize === 0 || first.treeSize > second.treeSize) {
    return reject(
      'SIZE_MISMATCH',
      `consistency needs 0 < first <= second, got ${first.treeSize}, ${second.treeSize}`,
    );
  }
  const merkle = verifyConsistency({
    first: first.treeSize,
    second: second.treeSize,
    consistencyPath: p.consistencyPath,
    firstHash: first.rootHash,
    secondHash: second.rootHash,
  });
  if (!merkle.ok) return reject(merkle.failure, merkle.reason);
  if (first.treeSize === second.treeSize && hex(first.chainHead) !== hex(second.chainHead)) {
    return reject(
      'CHAIN_HEAD_MISMATCH',
      `two checkpoints at tree size ${first.treeSize} sign different chain heads`,
    );
  }
  return {
    ok: true,
    type: 'consistency',
    streamId: p.streamId,
    first: summary(p.first, firstSigned.keyId),
    second: summary(p.second, secondSigned.keyId),
  };
}

type SignatureCheck =
  | { readonly ok: true; readonly keyId: string }
  | { readonly ok: false; readonly failure: ProofCheckFailure; readonly reason: string };

function checkSignature(cp: SignedCheckpoint, keys: KeyRing, what: string): SignatureCheck {
  const size = cp.checkpoint.treeSize;
  if (cp.algorithm === 'none')
    return { ok: false, failure: 'UNSIGNED', reason: `the ${what} (tree size ${size}) is not signed` };
  if (!isSignatureAlgorithm(cp.algorithm)) {
    return {
      ok: false,
      failure: 'BAD_SIGNATURE',
      reason: `the ${what} names unknown algorithm ${cp.algorithm}`,
    };
  }
  const r = keys.verify({
    algorithm: cp.algorithm,
    data: checkpointSignedBytes(cp.checkpoint),
    signature: cp.signature,
    ...(cp.keyId === '' ? {} : { keyId: cp.keyId }),
  });
  if (r.ok) return r;
  return r.reason === 'bad-signature'
    ? {
        ok: false,
        failure: 'BAD_SIGNATURE',
        reason: `the ${what}'s ${cp.algorithm} signature does not verify`,
      }
    : {
        ok: false,
        failure: 'UNKNOWN_KEY',
        reason: `the ${what} is signed with ${cp.algorithm} by key ${cp.keyId || '(unnamed)'}, which is not among the trusted keys`,
      };
}

/** The record's chain attributes (covered by its hash) must place it where the proof says. */
function checkPosition(
  record: AuditRecord,
  p: ParsedInclusionProof,
): { failure: ProofCheckFailure; reason: string } | undefined {
  const stream = attr(record, ATTR_SEQUENCE_STREAM_ID);
  if (stream !== p.streamId) {
    return {
      failure: 'STREAM_MISMATCH',
      reason: `the record belongs to stream ${String(stream)}, the proof to ${p.streamId}`,
    };
  }
  const number = attr(record, ATTR_SEQUENCE_NUMBER);
  if (number !== BigInt(p.leafIndex) + 1n) {
    return {
      failure: 'POSITION_MISMATCH',
      reason: `the record's audit.sequence.number is ${String(number)}, leaf_index ${p.leafIndex} means ${p.leafIndex + 1}`,
    };
  }
  const stored = attr(record, ATTR_INTEGRITY_HASH);
  if (stored !== undefined && stored !== hex(p.recordHash)) {
    return {
      failure: 'RECORD_MISMATCH',
      reason: 'the record carries an audit.integrity.hash other than record_hash',
    };
  }
  return undefined;
}

function summary(cp: SignedCheckpoint, keyId: string): CheckpointSummary {
  const c = cp.checkpoint;
  return {
    treeSize: c.treeSize,
    rootHash: hex(c.rootHash),
    chainHead: hex(c.chainHead),
    timeUnixNano: c.timeUnixNano,
    algorithm: cp.algorithm,
    keyId,
  };
}
