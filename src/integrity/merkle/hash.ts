/**
 * RFC 9162 §2.1.1 (identical to RFC 6962 §2.1) hashing with SHA-256:
 *
 *   MTH({})        = SHA-256()                       — the empty tree
 *   MTH({d(0)})    = SHA-256(0x00 || d(0))           — a leaf
 *   node           = SHA-256(0x01 || left || right)  — an interior node
 *
 * The distinct 0x00 / 0x01 prefixes give second-preimage resistance: a leaf
 * hash can never be passed off as an interior node hash or vice versa.
 * Hashes are public data, so comparisons need not be constant-time. Hashes
 * are returned as plain Uint8Arrays.
 */
import { createHash, type Hash } from 'node:crypto';

/** Length of every hash in the tree (SHA-256). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const EMPTY_ROOT = createHash('sha256').digest();

/** MTH({}): the root hash of the empty tree, SHA-256 of the empty string. */
export function emptyRootHash(): Uint8Array {
  return Uint8Array.from(EMPTY_ROOT);
}

/** MTH({d}) = SHA-256(0x00 || d): the hash of one leaf's data. */
export function hashLeaf(leafData: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(LEAF_PREFIX).update(leafData));
}

/** SHA-256(0x01 || left || right): the hash of an interior node. Inputs are not length-checked. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(NODE_PREFIX).update(left).update(right));
}

/** The digest as a plain Uint8Array (not a Buffer), so every hash this module returns has one type. */
function digest(hash: Hash): Uint8Array {
  const bytes = hash.digest();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
