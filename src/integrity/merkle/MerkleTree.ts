/**
 * RFC 9162 §2.1.1 Merkle Tree Hash, computed incrementally.
 *
 * The tree keeps only its "frontier": for a tree of n leaves, one hash per set
 * bit of n — the roots of the perfect subtrees that n's binary expansion cuts
 * the leaves into, largest (leftmost) first. That is O(log n) memory (at most
 * 53 hashes for any safe-integer size). Appending is a binary-counter
 * increment: the new leaf hash merges with each trailing perfect subtree of
 * equal size (amortised O(1) hashes, at most log2 n). root() folds the
 * frontier right to left, which is exactly the MTH recursion with the split
 * point k = largest power of two < n (O(log n) hashes).
 *
 * The frontier plus the size is the whole state: `state()` / `fromState()`
 * let a log resume from a checkpoint without re-reading its leaves.
 */
import { OtelAuditError } from '../../errors.ts';
import { HASH_BYTES, emptyRootHash, hashChildren, hashLeaf } from './hash.ts';
import { bytesOfWords, leafHashWords, nodeHashWords } from './internal/merkleSha256.ts';
import { half, isIndex, isOdd, popCount } from './internal/treeMath.ts';

/** The hash being merged up the frontier by `append`, as 8 words (scratch: one call at a time). */
const merged = new Int32Array(8);

/** A snapshot of a MerkleTree: its size and frontier hashes, largest subtree first. */
export interface MerkleTreeState {
  readonly size: number;
  readonly frontier: readonly Uint8Array[];
}

export class MerkleTree {
  private leafCount = 0;
  /** Roots of the perfect subtrees, one per set bit of leafCount, most significant bit first. */
  private frontier: Uint8Array[] = [];

  /** Rebuild a tree from `state()` output; checks that the frontier fits the size. */
  static fromState(state: MerkleTreeState): MerkleTree {
    if (!isIndex(state.size)) {
      throw new OtelAuditError('INVALID_ARGUMENT', `tree size ${state.size} is not a safe integer >= 0`);
    }
    const expected = popCount(state.size);
    if (state.frontier.length !== expected) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `a tree of size ${state.size} has ${expected} frontier hashes, got ${state.frontier.length}`,
      );
    }
    for (const hash of state.frontier) checkHashLength(hash, 'frontier hash');
    const tree = new MerkleTree();
    tree.leafCount = state.size;
    tree.frontier = state.frontier.map((hash) => Uint8Array.from(hash));
    return tree;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.leafCount;
  }

  /** Hashes `leafData` as a leaf (0x00 prefix) and appends it; returns the new leaf's index. */
  append(leafData: Uint8Array): number {
    this.checkNotFull();
    // hashLeaf's result is a new array no one else holds: kept as it is, not copied.
    if (leafData.length !== HASH_BYTES) return this.mergeAndPush(hashLeaf(leafData), this.leafCount);
    // A 32-byte leaf (a record hash): the leaf hash and the merges are kept as words until the
    // hash that is pushed, so only that one is made into bytes (hash.ts's functions, word for word).
    const index = this.leafCount;
    leafHashWords(leafData, merged);
    for (let bits = index; isOdd(bits); bits = half(bits)) {
      nodeHashWords(this.popFrontier(), merged, merged);
    }
    this.frontier.push(bytesOfWords(merged));
    this.leafCount = index + 1;
    return index;
  }

  /** Appends an already computed leaf hash (SHA-256(0x00 || data)); returns the new leaf's index. */
  appendLeafHash(leafHash: Uint8Array): number {
    checkHashLength(leafHash, 'leaf hash');
    this.checkNotFull();
    return this.mergeAndPush(Uint8Array.from(leafHash), this.leafCount);
  }

  private checkNotFull(): void {
    if (this.leafCount >= Number.MAX_SAFE_INTEGER) {
      throw new OtelAuditError('INVALID_ARGUMENT', 'the tree is at its maximum size (2^53 - 1 leaves)');
    }
  }

  /**
   * `appendLeafHash(leafHash)` when the first `levels` merges it would do are already done: `root`
   * is the hash of the perfect subtree of the last `2^levels` leaves, the new one included (computed
   * elsewhere, e.g. in a worker thread, from the same leaf hashes). The caller vouches that the last
   * `2^levels - 1` leaves appended are that subtree's; the tree checks only that the size fits.
   */
  appendFolded(leafHash: Uint8Array, levels: number, root: Uint8Array): number {
    checkHashLength(leafHash, 'leaf hash');
    checkHashLength(root, 'subtree root');
    const index = this.leafCount;
    const span = 2 ** levels;
    if (
      !Number.isInteger(levels) ||
      levels < 1 ||
      (index + 1) % span !== 0 ||
      this.frontier.length < levels
    ) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `a subtree of ${levels} levels does not end at leaf ${index}`,
      );
    }
    if (this.leafCount >= Number.MAX_SAFE_INTEGER) {
      throw new OtelAuditError('INVALID_ARGUMENT', 'the tree is at its maximum size (2^53 - 1 leaves)');
    }
    this.frontier.length -= levels;
    return this.mergeAndPush(Uint8Array.from(root), Math.floor(index / span));
  }

  /**
   * Pushes `hash` (a perfect subtree ending at leaf `leafCount`) onto the frontier, first merging it
   * with the subtree left of it once per trailing 1 bit of `bits` (the number of such subtrees
   * already appended); returns the new leaf's index.
   */
  private mergeAndPush(hash: Uint8Array, bits: number): number {
    const index = this.leafCount;
    for (; isOdd(bits); bits = half(bits)) hash = hashChildren(this.popFrontier(), hash);
    this.frontier.push(hash);
    this.leafCount = index + 1;
    return index;
  }

  private popFrontier(): Uint8Array {
    const left = this.frontier.pop();
    if (left === undefined) throw new OtelAuditError('INTERNAL', 'frontier shorter than popcount(size)');
    return left;
  }

  /** MTH(D[0:size]); SHA-256 of the empty string for the empty tree. */
  root(): Uint8Array {
    const last = this.frontier.at(-1);
    if (last === undefined) return emptyRootHash();
    let root: Uint8Array = Uint8Array.from(last);
    for (let i = this.frontier.length - 2; i >= 0; i--) {
      root = hashChildren(this.frontier[i] as Uint8Array, root);
    }
    return root;
  }

  /**
   * `state()` without copying the hashes (only the array holding them): the tree never changes a
   * frontier hash in place, so the snapshot stays valid. For per-record snapshots on hot paths.
   */
  sharedState(): MerkleTreeState {
    return { size: this.leafCount, frontier: this.frontier.slice() };
  }

  /** The size and a copy of the frontier, enough to resume with `fromState`. */
  state(): MerkleTreeState {
    return { size: this.leafCount, frontier: this.frontier.map((hash) => Uint8Array.from(hash)) };
  }
}

function checkHashLength(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES) {
    throw new OtelAuditError('INVALID_ARGUMENT', `${what} must be ${HASH_BYTES} bytes, got ${hash.length}`);
  }
}
