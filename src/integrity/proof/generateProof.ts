/**
 * Builds proof documents from a `WalLeafHashSource`: picks the signed
 * checkpoint, recomputes its root from the WAL's records (a proof is only
 * written when the records reproduce the signed root and chain head), and
 * takes the RFC 9162 path from `MerkleProver`. Every proof is checked
 * against its root before it is returned.
 *
 * Cost: O(tree size) leaf reads and SHA-256 hashes per proof (the root and
 * the path share a subtree cache sized to about 64 Ki entries).
 */
import { OtelAuditError, assert } from '../../errors.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { jsonFromRecords } from '../../otlp/json/recordsToJson.ts';
import { validateRecord } from '../../record/validateRecord.ts';
import { recordHash } from '../canonical/projection.ts';
import { equalBytes, hashLeaf } from '../merkle/hash.ts';
import { MerkleProver } from '../merkle/MerkleProver.ts';
import { InMemorySubtreeHashCache } from '../merkle/SubtreeHashCache.ts';
import { verifyConsistency } from '../merkle/verifyConsistency.ts';
import { verifyInclusion } from '../merkle/verifyInclusion.ts';
import { ProofInvalidError } from './errors.ts';
import {
  PROOF_FORMAT_VERSION,
  type ConsistencyProofDocument,
  type InclusionProofDocument,
  type JsonRecord,
} from './ProofDocument.ts';
import type { CheckpointRef, StoredCheckpoint, WalLeafHashSource } from './WalLeafHashSource.ts';

export interface InclusionProofOptions {
  /** 0-based leaf index = chain number - 1. */
  readonly leafIndex: number;
  /** WAL sequence number of that record. */
  readonly recordSeq: number;
  /** Prove against the signed checkpoint of exactly this tree size; default: the smallest that covers the record. */
  readonly treeSize?: number;
}

export interface InclusionProofResult {
  readonly proof: InclusionProofDocument;
  readonly checkpoint: CheckpointRef;
  readonly record: AuditRecord;
}

export interface ConsistencyProofResult {
  readonly proof: ConsistencyProofDocument;
  readonly first: CheckpointRef;
  readonly second: CheckpointRef;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function buildInclusionProof(
  source: WalLeafHashSource,
  o: InclusionProofOptions,
): InclusionProofResult {
  const ref =
    o.treeSize === undefined
      ? selectCheckpoint(source, { covering: o.leafIndex + 1 })
      : selectCheckpoint(source, { treeSize: o.treeSize });
  if (ref.treeSize <= o.leafIndex) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `the checkpoint at tree size ${ref.treeSize} does not cover record ${o.leafIndex + 1}`,
    );
  }
  const record = source.readRecord(o.recordSeq);
  validateRecord(record);
  const h = recordHash(record);
  if (!equalBytes(hashLeaf(h), source.get(o.leafIndex))) {
    throw new ProofInvalidError('RECORD_MISMATCH', `record at seq ${o.recordSeq} is not leaf ${o.leafIndex}`);
  }
  const prover = proverFor(source, ref.treeSize);
  const cp = checkedCheckpoint(source, prover, ref);
  const path = prover.inclusionProof({ leafIndex: o.leafIndex, treeSize: ref.treeSize });
  const check = verifyInclusion({
    leafIndex: o.leafIndex,
    treeSize: ref.treeSize,
    leafHash: hashLeaf(h),
    inclusionPath: path,
    rootHash: cp.signed.checkpoint.rootHash,
  });
  assert(check.ok, `a generated inclusion proof verifies (${check.ok ? '' : check.reason})`);
  const proof: InclusionProofDocument = {
    type: 'inclusion',
    v: PROOF_FORMAT_VERSION,
    stream_id: source.streamId,
    leaf_index: o.leafIndex,
    tree_size: ref.treeSize,
    record_hash: hex(h),
    leaf_hash: hex(hashLeaf(h)),
    record: jsonFromRecords([record]) as JsonRecord,
    inclusion_path: path.map(hex),
    checkpoint: cp.stored,
  };
  return { proof, checkpoint: ref, record };
}

export function buildConsistencyProof(
  source: WalLeafHashSource,
  o: { readonly first: number; readonly second: number },
): ConsistencyProofResult {
  if (!(o.first >= 1 && o.first <= o.second)) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `consistency needs 0 < first <= second, got ${o.first}, ${o.second}`,
    );
  }
  const firstRef = selectCheckpoint(source, { treeSize: o.first });
  const secondRef = selectCheckpoint(source, { treeSize: o.second });
  const prover = proverFor(source, o.second);
  const first = checkedCheckpoint(source, prover, firstRef);
  const second = checkedCheckpoint(source, prover, secondRef);
  const path = prover.consistencyProof({ first: o.first, second: o.second });
  const check = verifyConsistency({
    first: o.first,
    second: o.second,
    consistencyPath: path,
    firstHash: first.signed.checkpoint.rootHash,
    secondHash: second.signed.checkpoint.rootHash,
  });
  assert(check.ok, `a generated consistency proof verifies (${check.ok ? '' : check.reason})`);
  const proof: ConsistencyProofDocument = {
    type: 'consistency',
    v: PROOF_FORMAT_VERSION,
    stream_id: source.streamId,
    first: first.stored,
    second: second.stored,
    consistency_path: path.map(hex),
  };
  return { proof, first: firstRef, second: secondRef };
}

/**
 * A signed checkpoint of the stream: of exactly `treeSize`, or the smallest
 * covering `covering` records. Unsigned checkpoints prove nothing to a third
 * party and are never chosen.
 */
export function selectCheckpoint(
  source: WalLeafHashSource,
  want: { readonly treeSize: number } | { readonly covering: number },
): CheckpointRef {
  const signed = source.checkpoints.filter((c) => c.algorithm !== 'none');
  const ref =
    'treeSize' in want
      ? signed.find((c) => c.treeSize === want.treeSize)
      : signed.filter((c) => c.treeSize >= want.covering).sort((a, b) => a.treeSize - b.treeSize)[0];
  if (ref === undefined) {
    const what = 'treeSize' in want ? `of tree size ${want.treeSize}` : `covering record ${want.covering}`;
    const unsigned = source.checkpoints.length - signed.length;
    const sizes = signed.map((c) => c.treeSize);
    const shown = sizes.length > 12 ? [...sizes.slice(0, 6), '…', ...sizes.slice(-6)] : sizes;
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `stream ${source.streamId} has no signed checkpoint ${what}` +
        (sizes.length > 0 ? ` (signed tree sizes: ${shown.join(', ')})` : ' (no signed checkpoints)') +
        (unsigned > 0 ? `; ${unsigned} unsigned checkpoints are not usable for proofs` : '') +
        (source.damage === undefined ? '' : `; reading stopped: ${source.damage}`) +
        (source.skipped === undefined || source.damage !== undefined ? '' : `; ${source.skipped}`),
    );
  }
  if (ref.treeSize > source.size) {
    throw new ProofInvalidError(
      'SIZE_MISMATCH',
      `the checkpoint at seq ${ref.seq} covers ${ref.treeSize} records but only ${source.size} are readable` +
        (source.damage === undefined ? '' : ` (${source.damage})`) +
        (source.skipped === undefined || source.damage !== undefined ? '' : ` (${source.skipped})`) +
        '; run otel-audit verify',
    );
  }
  return ref;
}

function proverFor(source: WalLeafHashSource, treeSize: number): MerkleProver {
  // Cache the levels whose node count fits ~64 Ki entries: the root and the path then share their subtrees.
  const minLevel = Math.max(4, Math.ceil(Math.log2(Math.max(1, treeSize))) - 15);
  return new MerkleProver(source, { cache: new InMemorySubtreeHashCache({ minLevel, entriesMax: 65_536 }) });
}

/** The stored checkpoint, once the WAL's records are known to reproduce its root and chain head. */
function checkedCheckpoint(
  source: WalLeafHashSource,
  prover: MerkleProver,
  ref: CheckpointRef,
): StoredCheckpoint {
  const cp = source.readCheckpoint(ref);
  const c = cp.signed.checkpoint;
  const headMatches =
    c.chainHead !== undefined && equalBytes(hashLeaf(c.chainHead), source.get(c.treeSize - 1));
  if (!equalBytes(prover.rootHash(c.treeSize), c.rootHash) || !headMatches) {
    throw new ProofInvalidError(
      'ROOT_MISMATCH',
      `records 1..${c.treeSize} of stream ${source.streamId} do not reproduce the Merkle root and chain head ` +
        `signed at seq ${ref.seq}` +
        (source.modified === undefined ? '' : ` (${source.modified})`) +
        '; run otel-audit verify',
    );
  }
  return cp;
}
