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
import type { KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { bytesOfDigestHex } from '../canonical/internal/digestHex.ts';
import { recordHashHex } from '../canonical/projection.ts';
import { MerkleTree, type MerkleTreeState } from '../merkle/MerkleTree.ts';
import { ChainTail, chainRecordHashHex } from './internal/chainTail.ts';
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
  /** `headHash` as lowercase hex (the next record's previous_hash), kept so it is converted once. */
  private headHex: string | undefined;
  private tree: MerkleTree;
  /** Writes this stream's own attributes into a projection (undefined: an id the writer refuses). */
  private readonly tail: ChainTail | undefined;

  constructor(streamId: string, from?: ChainSnapshot) {
    this.streamId = streamId;
    this.tail = ChainTail.of(streamId);
    this.count = from?.count ?? 0;
    this.headHash = from?.head;
    this.headHex = hexOf(from?.head);
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
    const source = record.attributes;
    const attrs: KeyValue[] = [];
    for (let i = 0; i < source.length; i++) {
      const kv = source[i] as KeyValue;
      if (!isChainOwned(kv.key)) attrs.push(kv);
    }
    const own = attrs.length;
    attrs.push({ key: ATTR_SEQUENCE_STREAM_ID, value: this.streamId });
    attrs.push({ key: ATTR_SEQUENCE_NUMBER, value: BigInt(this.count + 1) });
    if (this.headHex !== undefined) attrs.push({ key: ATTR_SEQUENCE_PREVIOUS_HASH, value: this.headHex });
    record.attributes = attrs;
    // The hex form first: it is what the attributes carry, and cheaper to get from node:crypto. The
    // entries just pushed are written from the tail's bytes (internal/chainTail.ts), not the list.
    const tail = this.tail;
    let hex: string;
    if (tail === undefined) hex = recordHashHex(record);
    else {
      tail.set(own, this.count + 1, this.headHex);
      hex = chainRecordHashHex(record, tail);
    }
    const h = bytesOfDigestHex(hex);
    attrs.push({ key: ATTR_INTEGRITY_HASH, value: hex });
    this.tree.append(h);
    this.headHash = h;
    this.headHex = hex;
    this.count++;
    return h;
  }

  /** Advances over a record already in the log (recovery), given its recomputed IntegrityHash. */
  adopt(hash: Uint8Array): void {
    this.tree.append(hash);
    this.headHash = hash;
    this.headHex = hexOf(hash);
    this.count++;
  }

  snapshot(): ChainSnapshot {
    return { count: this.count, head: this.headHash, tree: this.tree.state() };
  }

  restore(s: ChainSnapshot): void {
    this.count = s.count;
    this.headHash = s.head;
    this.headHex = hexOf(s.head);
    this.tree = MerkleTree.fromState(s.tree);
  }
}

/** One of `CHAIN_OWNED_ATTRIBUTES` (all start with `audit.`, so most keys are settled by one comparison). */
function isChainOwned(key: string): boolean {
  return key.startsWith('audit.') && CHAIN_OWNED_ATTRIBUTES.includes(key);
}

function hexOf(hash: Uint8Array | undefined): string | undefined {
  return hash && Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
