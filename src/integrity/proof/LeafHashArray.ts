/**
 * Leaf hashes (32 bytes each) held in memory, in chunks of
 * `LEAF_HASH_CHUNK_LEAVES` (2 MiB) so that growing never copies what is
 * already stored and memory is 32 bytes per leaf plus at most one partly
 * filled chunk: 1 M leaves take 32 MiB, 10 M 320 MiB, 50 M 1.6 GB.
 * `get` returns a view into the store: callers must not modify it.
 */
import { OtelAuditError } from '../../errors.ts';
import { HASH_BYTES } from '../merkle/hash.ts';
import type { LeafHashSource } from '../merkle/LeafHashSource.ts';

export const LEAF_HASH_CHUNK_LEAVES = 1 << 16;
const CHUNK_BYTES = LEAF_HASH_CHUNK_LEAVES * HASH_BYTES;

export class LeafHashArray implements LeafHashSource {
  readonly #chunks: Uint8Array[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Bytes allocated for hashes. */
  get bytesAllocated(): number {
    return this.#chunks.length * CHUNK_BYTES;
  }

  get(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.#size) {
      throw new OtelAuditError('INVALID_ARGUMENT', `leaf index ${index} is outside 0..${this.#size - 1}`);
    }
    const chunk = this.#chunks[Math.floor(index / LEAF_HASH_CHUNK_LEAVES)] as Uint8Array;
    const at = (index % LEAF_HASH_CHUNK_LEAVES) * HASH_BYTES;
    return chunk.subarray(at, at + HASH_BYTES);
  }

  /** Appends a copy of `leafHash`; returns its index. */
  push(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_BYTES) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `leaf hash must be ${HASH_BYTES} bytes, got ${leafHash.length}`,
      );
    }
    const index = this.#size;
    const slot = index % LEAF_HASH_CHUNK_LEAVES;
    if (slot === 0) this.#chunks.push(new Uint8Array(CHUNK_BYTES));
    (this.#chunks[this.#chunks.length - 1] as Uint8Array).set(leafHash, slot * HASH_BYTES);
    this.#size = index + 1;
    return index;
  }
}
