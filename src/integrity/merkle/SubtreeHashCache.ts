/**
 * An optional cache of perfect-subtree hashes for proof generation (RFC 9162
 * §2.1.3.1, §2.1.4.1).
 *
 * Node (level, index) is the root of the perfect subtree over leaves
 * [index * 2^level, (index + 1) * 2^level). In an append-only log such a
 * hash never changes once all its leaves exist, so entries never go stale —
 * unless the log is truncated and re-appended (e.g. WAL recovery cutting a
 * torn tail after proofs were generated): then call `clear()`. One cache
 * serves one log only; keys are positions, not content.
 *
 * Cost: without a cache, a proof for a tree of n leaves reads every leaf hash
 * once (n - 1 reads, about n hashes). With every node at level >= minLevel
 * cached, a proof reads at most about 2 * log2(n) * 2^minLevel leaf hashes.
 */

export interface SubtreeHashCache {
  /** Levels below this are never looked up or stored (recomputing them is cheap). */
  readonly minLevel: number;
  get(level: number, index: number): Uint8Array | undefined;
  set(level: number, index: number, hash: Uint8Array): void;
}

export interface InMemorySubtreeHashCacheOptions {
  /** Lowest level cached; level L nodes cover 2^L leaves. Default 4 (16 leaves). */
  readonly minLevel?: number;
  /** Entries kept at most (about 100 bytes each); when full, new entries are refused. Default 65536. */
  readonly entriesMax?: number;
}

export class InMemorySubtreeHashCache implements SubtreeHashCache {
  readonly minLevel: number;
  private readonly entriesMax: number;
  /** levels[L] maps index -> hash of node (L, index). */
  private levels: Map<number, Uint8Array>[] = [];
  private entries = 0;
  private refused = 0;

  constructor(options: InMemorySubtreeHashCacheOptions = {}) {
    this.minLevel = options.minLevel ?? 4;
    this.entriesMax = options.entriesMax ?? 65_536;
  }

  /** Entries held. */
  get entryCount(): number {
    return this.entries;
  }

  /** Entries not stored because the cache was full. */
  get refusedCount(): number {
    return this.refused;
  }

  get(level: number, index: number): Uint8Array | undefined {
    return this.levels[level]?.get(index);
  }

  set(level: number, index: number, hash: Uint8Array): void {
    if (level < this.minLevel) return;
    let nodes = this.levels[level];
    if (nodes?.has(index) === true) return;
    if (this.entries >= this.entriesMax) {
      this.refused++;
      return;
    }
    if (nodes === undefined) {
      nodes = new Map();
      this.levels[level] = nodes;
    }
    nodes.set(index, hash);
    this.entries++;
  }

  /** Forget everything, e.g. after the log was truncated. */
  clear(): void {
    this.levels = [];
    this.entries = 0;
  }
}
