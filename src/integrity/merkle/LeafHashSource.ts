/**
 * Where proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) reads leaf hashes
 * from. The WAL will implement this by reading records (or a leaf-hash
 * index); InMemoryLeafHashSource serves tests and small logs.
 *
 * Contract: `get(i)` returns SHA-256(0x00 || leaf i's data), 32 bytes, for
 * 0 <= i < size, and the answer for a given i never changes (append-only).
 * The generator never calls `get` with an index >= `size`.
 */
export interface LeafHashSource {
  /** Number of leaves available. */
  readonly size: number;
  /** The leaf hash at `index`. */
  get(index: number): Uint8Array;
}
