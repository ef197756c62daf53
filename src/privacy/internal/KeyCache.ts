/**
 * The key store's bounded cache of unwrapped data keys by subject ref, least
 * recently used first out — approximately: a hit moves an entry to the
 * young end only when at least half the cache was inserted or moved since
 * it last was (an entry used that recently is never the next out anyway).
 * Moving on every hit (a Map delete + set) was ~1.5 µs of `audit_encrypt`'s
 * ~17 µs per record (--cpu-prof, bench/lib/piiEvents.ts records). An entry is trusted for `ttlMs`; after that the
 * store looks at the disk again, so a key shredded by another process (the
 * CLI) stops being used within `ttlMs`. `null` caches "no key on disk".
 */
import type { DataKey } from '../KeyStore.ts';

interface Entry {
  readonly key: DataKey | null;
  readonly atMs: number;
  /** `moves` when the entry was last put at the young end. */
  movedAt: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly entriesMax: number;
  private readonly ttlMs: number;
  private readonly nowMs: () => number;
  /** Insertions and moves to the young end so far. */
  private moves = 0;

  constructor(entriesMax: number, ttlMs: number, nowMs: () => number) {
    this.entriesMax = entriesMax;
    this.ttlMs = ttlMs;
    this.nowMs = nowMs;
  }

  /** The fresh entry for `ref` (`null`: known absent), or undefined when not cached or expired. */
  get(ref: string): DataKey | null | undefined {
    const entry = this.entries.get(ref);
    if (entry === undefined) return undefined;
    if (this.nowMs() - entry.atMs >= this.ttlMs) {
      this.entries.delete(ref);
      return undefined;
    }
    if (this.moves - entry.movedAt >= this.entriesMax / 2) {
      this.entries.delete(ref);
      entry.movedAt = ++this.moves;
      this.entries.set(ref, entry);
    }
    return entry.key;
  }

  set(ref: string, key: DataKey | null): void {
    if (this.entriesMax === 0) return;
    this.entries.delete(ref);
    this.entries.set(ref, { key, atMs: this.nowMs(), movedAt: ++this.moves });
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(ref: string): void {
    this.entries.delete(ref);
  }

  /** Removes the entry of `ref` if it holds the key `keyId` (fresh or not). */
  deleteKey(ref: string, keyId: string): void {
    if (this.entries.get(ref)?.key?.id === keyId) this.entries.delete(ref);
  }

  get size(): number {
    return this.entries.size;
  }
}
