/**
 * Proof generation over a LeafHashSource:
 * - RFC 9162 §2.1.3.1 PATH(m, D[n])      — inclusion proofs (audit paths);
 * - RFC 9162 §2.1.4.1 PROOF(m, D[n]) and SUBPROOF(m, D[n], b) — consistency proofs;
 * - RFC 9162 §2.1.1 MTH(D[0:n])          — the root of any past tree size.
 *
 * The RFC recursions descend from the root along one path, so they are run
 * here as loops (no recursion on n). Every subtree hash they need is MTH of a
 * range whose left parts are perfect subtrees aligned to their size; those
 * are computed by `perfectHash`, a recursion of depth <= log2(n) that reads
 * each leaf under it once, and looks up / fills the optional
 * SubtreeHashCache. Without a cache a proof costs O(n) leaf reads and hashes
 * (the siblings on the path cover every other leaf once); with a warm cache
 * O(log n * 2^minLevel). Memory is O(log n) besides the cache.
 */
import { OtelAuditError, assert } from '../../errors.ts';
import { HASH_BYTES, emptyRootHash, hashChildren } from './hash.ts';
import { isIndex, largestPowerOfTwoAtMost, largestPowerOfTwoBelow, log2Exact } from './internal/treeMath.ts';
import type { LeafHashSource } from './LeafHashSource.ts';
import type { SubtreeHashCache } from './SubtreeHashCache.ts';

export interface MerkleProverOptions {
  readonly cache?: SubtreeHashCache;
}

export interface InclusionProofRequest {
  /** 0-based index of the leaf to prove. */
  readonly leafIndex: number;
  /** Size of the tree the proof is against (any past size up to the source's size). */
  readonly treeSize: number;
}

export interface ConsistencyProofRequest {
  /** The earlier tree size, 0 < first <= second. */
  readonly first: number;
  /** The later tree size, second <= the source's size. */
  readonly second: number;
}

export class MerkleProver {
  private readonly source: LeafHashSource;
  private readonly cache: SubtreeHashCache | undefined;
  private leafReads = 0;

  constructor(source: LeafHashSource, options: MerkleProverOptions = {}) {
    this.source = source;
    this.cache = options.cache;
  }

  /** Leaf hashes read from the source so far (for cost measurements). */
  get leafReadCount(): number {
    return this.leafReads;
  }

  /** MTH(D[0:treeSize]) for any treeSize up to the source's size. */
  rootHash(treeSize: number): Uint8Array {
    this.checkTreeSize(treeSize, 'treeSize');
    return treeSize === 0 ? emptyRootHash() : this.rangeHash(0, treeSize);
  }

  /** PATH(leafIndex, D[0:treeSize]): sibling hashes from the leaf up to the root. */
  inclusionProof(request: InclusionProofRequest): Uint8Array[] {
    const { leafIndex, treeSize } = request;
    this.checkTreeSize(treeSize, 'treeSize');
    if (!isIndex(leafIndex) || leafIndex >= treeSize) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `leafIndex ${leafIndex} is not in a tree of size ${treeSize}`,
      );
    }
    // Walk down from D[0:treeSize]; each step keeps the half holding the leaf and records the other half.
    const siblings: Uint8Array[] = [];
    let start = 0;
    let end = treeSize;
    while (end - start > 1) {
      const k = largestPowerOfTwoBelow(end - start);
      if (leafIndex < start + k) {
        siblings.push(this.rangeHash(start + k, end)); // PATH(m, D[0:k]) : MTH(D[k:n])
        end = start + k;
      } else {
        siblings.push(this.rangeHash(start, start + k)); // PATH(m - k, D[k:n]) : MTH(D[0:k])
        start += k;
      }
    }
    return siblings.reverse();
  }

  /** PROOF(first, D[0:second]) = SUBPROOF(first, D[0:second], true). Empty when first === second. */
  consistencyProof(request: ConsistencyProofRequest): Uint8Array[] {
    const { first, second } = request;
    this.checkTreeSize(second, 'second');
    if (!isIndex(first) || first === 0 || first > second) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `consistency needs 0 < first <= second, got ${first}, ${second}`,
      );
    }
    const siblings: Uint8Array[] = [];
    let start = 0;
    let end = second;
    let wholeFirstTreeKnown = true; // SUBPROOF's b
    while (first !== end) {
      const k = largestPowerOfTwoBelow(end - start);
      if (first - start <= k) {
        siblings.push(this.rangeHash(start + k, end)); // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
        end = start + k;
      } else {
        siblings.push(this.rangeHash(start, start + k)); // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
        start += k;
        wholeFirstTreeKnown = false;
      }
    }
    // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
    const head = wholeFirstTreeKnown ? [] : [this.rangeHash(start, end)];
    return [...head, ...siblings.reverse()];
  }

  /** MTH(D[start:end]) for end > start: fold the perfect subtrees of the range right to left. */
  private rangeHash(start: number, end: number): Uint8Array {
    assert(end > start, 'rangeHash of an empty range');
    const parts: Uint8Array[] = [];
    for (let at = start; at < end;) {
      const width = largestPowerOfTwoAtMost(end - at);
      parts.push(this.perfectHash(at, log2Exact(width)));
      at += width;
    }
    let hash = parts.pop() as Uint8Array;
    for (let left = parts.pop(); left !== undefined; left = parts.pop()) hash = hashChildren(left, hash);
    return hash;
  }

  /** Root of the perfect subtree of 2^level leaves starting at leaf `start`. */
  private perfectHash(start: number, level: number): Uint8Array {
    if (level === 0) return this.readLeaf(start);
    const width = 2 ** level;
    const cache =
      this.cache !== undefined && level >= this.cache.minLevel && start % width === 0
        ? this.cache
        : undefined;
    const index = start / width;
    const cached = cache?.get(level, index);
    if (cached !== undefined) return cached;
    const hash = hashChildren(
      this.perfectHash(start, level - 1),
      this.perfectHash(start + width / 2, level - 1),
    );
    cache?.set(level, index, hash);
    return hash;
  }

  private readLeaf(index: number): Uint8Array {
    this.leafReads++;
    const hash = this.source.get(index);
    assert(hash.length === HASH_BYTES, `leaf hash ${index} from the source is ${hash.length} bytes`);
    return hash;
  }

  private checkTreeSize(treeSize: number, name: string): void {
    if (!isIndex(treeSize) || treeSize > this.source.size) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `${name} ${treeSize} is not a size between 0 and the source's ${this.source.size}`,
      );
    }
  }
}
