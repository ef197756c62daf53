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
import { hash } from 'node:crypto';
import { leafHash32, nodeHash32 } from './internal/merkleSha256.ts';

/** Length of every hash in the tree (SHA-256). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const EMPTY_ROOT = hash('sha256', new Uint8Array(0), 'buffer');

/*
 * The fixed-size inputs (a 32-byte leaf, two 32-byte children) are hashed by
 * internal/merkleSha256.ts, not node:crypto: at 33 and 65 bytes node:crypto's
 * per-call cost is nearly all of the price (measurements there). Other
 * lengths (never produced by the tree itself) go to node:crypto.
 */

/** MTH({}): the root hash of the empty tree, SHA-256 of the empty string. */
export function emptyRootHash(): Uint8Array {
  return Uint8Array.from(EMPTY_ROOT);
}

/** MTH({d}) = SHA-256(0x00 || d): the hash of one leaf's data. */
export function hashLeaf(leafData: Uint8Array): Uint8Array {
  if (leafData.length === HASH_BYTES) return leafHash32(leafData);
  const input = new Uint8Array(1 + leafData.length);
  input[0] = LEAF_PREFIX;
  input.set(leafData, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right): the hash of an interior node. Inputs are not length-checked. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === HASH_BYTES && right.length === HASH_BYTES) return nodeHash32(left, right);
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** SHA-256 as a plain Uint8Array (not a Buffer), so every hash this module returns has one type. */
function sha256(data: Uint8Array): Uint8Array {
  const bytes = hash('sha256', data, 'buffer');
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
