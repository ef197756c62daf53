/**
 * The hash chain and the Merkle tree of one audit stream, advanced one record
 * at a time in WAL order. `link(record)` stamps the record with its place in
 * the chain (draft vocabulary: `audit.sequence.stream_id`, `.number`,
 * `.previous_hash`), computes its IntegrityHash over the canonical projection
 * (which covers those attributes, so each hash commits to all history before
 * it), records it as `audit.integrity.hash`, and appends it as the next
 * Merkle leaf. State is O(log n) and can be snapshotted and restored (a
 * failed WAL batch is not in the log, so its records are not in the chain).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { recordHash } from '../canonical/projection.ts';
import { MerkleTree, type MerkleTreeState } from '../merkle/MerkleTree.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../names.ts';

/** Attributes the chain owns: a record arriving with them has them replaced. */
export const CHAIN_OWNED_ATTRIBUTES: readonly string[] = [
  ATTR_SEQUENCE_STREAM_ID,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_INTEGRITY_HASH,
];

export interface ChainSnapshot {
  readonly count: number;
  readonly head: Uint8Array | undefined;
  readonly tree: MerkleTreeState;
}

export class ChainState {
  readonly streamId: string;
  private count: number;
  private headHash: Uint8Array | undefined;
  private tree: MerkleTree;

  constructor(streamId: string, from?: ChainSnapshot) {
    this.streamId = streamId;
    this.count = from?.count ?? 0;
    this.headHash = from?.head;
    this.tree = from ? MerkleTree.fromState(from.tree) : new MerkleTree();
  }

  /** Records in the chain so far (= the Merkle tree size). */
  get size(): number {
    return this.count;
  }

  /** The last record's IntegrityHash (undefined before the first record). */
  get head(): Uint8Array | undefined {
    return this.headHash;
  }

  root(): Uint8Array {
    return this.tree.root();
  }

  frontier(): readonly Uint8Array[] {
    return this.tree.state().frontier;
  }

  /** Stamps `record` with its chain attributes and advances the chain; returns its IntegrityHash. */
  link(record: AuditRecord): Uint8Array {
    const attrs = record.attributes.filter((kv) => !CHAIN_OWNED_ATTRIBUTES.includes(kv.key));
    attrs.push({ key: ATTR_SEQUENCE_STREAM_ID, value: this.streamId });
    attrs.push({ key: ATTR_SEQUENCE_NUMBER, value: BigInt(this.count + 1) });
    if (this.headHash)
      attrs.push({ key: ATTR_SEQUENCE_PREVIOUS_HASH, value: Buffer.from(this.headHash).toString('hex') });
    record.attributes = attrs;
    const h = recordHash(record);
    record.attributes.push({ key: ATTR_INTEGRITY_HASH, value: Buffer.from(h).toString('hex') });
    this.tree.append(h);
    this.headHash = h;
    this.count++;
    return h;
  }

  /** Advances over a record already in the log (recovery), given its recomputed IntegrityHash. */
  adopt(hash: Uint8Array): void {
    this.tree.append(hash);
    this.headHash = hash;
    this.count++;
  }

  snapshot(): ChainSnapshot {
    return { count: this.count, head: this.headHash, tree: this.tree.state() };
  }

  restore(s: ChainSnapshot): void {
    this.count = s.count;
    this.headHash = s.head;
    this.tree = MerkleTree.fromState(s.tree);
  }
}
