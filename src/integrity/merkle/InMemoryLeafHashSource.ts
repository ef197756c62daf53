/**
 * A LeafHashSource held in memory: one 32-byte leaf hash per leaf (RFC 9162
 * §2.1.1 leaf hashing). Meant for tests and small logs — memory grows with
 * the number of leaves, bounded by `leavesMax`.
 */
import { OtelAuditError } from '../../errors.ts';
import { HASH_BYTES, hashLeaf } from './hash.ts';
import type { LeafHashSource } from './LeafHashSource.ts';

export interface InMemoryLeafHashSourceOptions {
  /** Appends beyond this many leaves are rejected. Default 16 Mi (512 MiB of hashes). */
  readonly leavesMax?: number;
}

export class InMemoryLeafHashSource implements LeafHashSource {
  private readonly leafHashes: Uint8Array[] = [];
  private readonly leavesMax: number;

  constructor(options: InMemoryLeafHashSourceOptions = {}) {
    this.leavesMax = options.leavesMax ?? 16 * 1024 * 1024;
  }

  get size(): number {
    return this.leafHashes.length;
  }

  get(index: number): Uint8Array {
    const hash = this.leafHashes[index];
    if (hash === undefined || !Number.isInteger(index)) {
      throw new OtelAuditError('INVALID_ARGUMENT', `leaf index ${index} is outside 0..${this.size - 1}`);
    }
    return hash;
  }

  /** Hashes `leafData` as a leaf and appends it; returns its index. */
  append(leafData: Uint8Array): number {
    return this.appendLeafHash(hashLeaf(leafData));
  }

  /** Appends an already computed leaf hash; returns its index. */
  appendLeafHash(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_BYTES) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `leaf hash must be ${HASH_BYTES} bytes, got ${leafHash.length}`,
      );
    }
    if (this.leafHashes.length >= this.leavesMax) {
      throw new OtelAuditError('INVALID_ARGUMENT', `the source is full (leavesMax ${this.leavesMax})`);
    }
    this.leafHashes.push(Uint8Array.from(leafHash));
    return this.leafHashes.length - 1;
  }
}
