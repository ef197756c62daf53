/**
 * The key store's bounded cache of unwrapped data keys by subject ref, least
 * recently used first out. An entry is trusted for `ttlMs`; after that the
 * store looks at the disk again, so a key shredded by another process (the
 * CLI) stops being used within `ttlMs`. `null` caches "no key on disk".
 */
import type { DataKey } from '../KeyStore.ts';

interface Entry {
  readonly key: DataKey | null;
  readonly atMs: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly entriesMax: number;
  private readonly ttlMs: number;
  private readonly nowMs: () => number;

  constructor(entriesMax: number, ttlMs: number, nowMs: () => number) {
    this.entriesMax = entriesMax;
    this.ttlMs = ttlMs;
    this.nowMs = nowMs;
  }

  /** The fresh entry for `ref` (`null`: known absent), or undefined when not cached or expired. */
  get(ref: string): DataKey | null | undefined {
    const entry = this.entries.get(ref);
    if (entry === undefined) return undefined;
    this.entries.delete(ref);
    if (this.nowMs() - entry.atMs >= this.ttlMs) return undefined;
    this.entries.set(ref, entry);
    return entry.key;
  }

  set(ref: string, key: DataKey | null): void {
    if (this.entriesMax === 0) return;
    this.entries.delete(ref);
    this.entries.set(ref, { key, atMs: this.nowMs() });
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(ref: string): void {
    this.entries.delete(ref);
  }

  get size(): number {
    return this.entries.size;
  }
}
