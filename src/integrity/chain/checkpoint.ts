/**
 * Checkpoints: a statement of the log's state that a signature covers —
 * stream id, tree size (records so far), RFC 9162 Merkle root, chain head
 * (the last record's IntegrityHash) and time. Signing the head covers every
 * record before it; signing the root lets anyone check inclusion and
 * consistency proofs against it.
 *
 * Signed bytes: RFC 8785 (JCS) of
 *   { "v": 1, "stream_id": s, "tree_size": "<decimal>", "root_hash": "<hex>",
 *     "chain_head": "<hex or empty>", "time_unix_nano": "<decimal>" }
 * The stored form (WAL frame type CHECKPOINT, and published files) is JSON:
 *   { "checkpoint": {…the object above…}, "algorithm": s, "key_id": s,
 *     "signature": "<base64>", "frontier": ["<hex>", …] }
 * `frontier` (the Merkle tree's O(log n) state) is not signed: it lets the
 * writer resume the tree after a restart, and is checked against the root.
 */
import { OtelAuditError } from '../../errors.ts';
import { canonicalJsonBytes } from '../canonical/jcs.ts';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly streamId: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly chainHead: Uint8Array | undefined;
  readonly timeUnixNano: bigint;
}

export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly algorithm: string;
  readonly keyId: string;
  readonly signature: Uint8Array;
  readonly frontier: readonly Uint8Array[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function checkpointSignedBytes(c: Checkpoint): Uint8Array {
  return canonicalJsonBytes({
    v: CHECKPOINT_VERSION,
    stream_id: c.streamId,
    tree_size: String(c.treeSize),
    root_hash: hex(c.rootHash),
    chain_head: c.chainHead ? hex(c.chainHead) : '',
    time_unix_nano: String(c.timeUnixNano),
  });
}

export function encodeSignedCheckpoint(s: SignedCheckpoint): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      checkpoint: JSON.parse(Buffer.from(checkpointSignedBytes(s.checkpoint)).toString('utf8')) as unknown,
      algorithm: s.algorithm,
      key_id: s.keyId,
      signature: Buffer.from(s.signature).toString('base64'),
      frontier: s.frontier.map(hex),
    }),
  );
}

function bad(message: string): never {
  throw new OtelAuditError('INTEGRITY_CANONICAL', `checkpoint: ${message}`);
}

function hexBytes(v: unknown, what: string, allowEmpty = false): Uint8Array {
  if (typeof v !== 'string' || !/^([0-9a-f]{64})?$/.test(v) || (!allowEmpty && v === ''))
    bad(`${what} must be 64 hex digits`);
  return Buffer.from(v, 'hex');
}

function decimal(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^(0|[1-9]\d{0,19})$/.test(v)) bad(`${what} must be a decimal string`);
  return BigInt(v);
}

/**
 * The largest stored checkpoint parsed. A checkpoint is a few KiB (stream_id <= 256 characters, at most 64
 * frontier hashes, one signature); a larger frame was not written by our writer, and `JSON.parse` of a hostile
 * 100 MiB frame of `[{},{},...]` builds ~35 M objects (an out-of-memory abort of verify, prove, or of the
 * collector's start, which reads the last checkpoint).
 */
export const CHECKPOINT_PAYLOAD_BYTES_MAX = 1024 * 1024;

/**
 * Parses and checks a stored checkpoint; throws `INTEGRITY_CANONICAL` on any malformation, and for a payload
 * over `CHECKPOINT_PAYLOAD_BYTES_MAX` (not parsed).
 */
export function decodeSignedCheckpoint(bytes: Uint8Array): SignedCheckpoint {
  if (bytes.length > CHECKPOINT_PAYLOAD_BYTES_MAX)
    bad(`${bytes.length} bytes, more than a checkpoint can be (${CHECKPOINT_PAYLOAD_BYTES_MAX}): not parsed`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    bad('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) bad('not an object');
  const o = raw as Record<string, unknown>;
  const c = o.checkpoint as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null) bad('missing "checkpoint"');
  if (c.v !== CHECKPOINT_VERSION) bad(`unsupported version ${String(c.v)}`);
  if (typeof c.stream_id !== 'string') bad('stream_id must be a string');
  const treeSize = decimal(c.tree_size, 'tree_size');
  if (treeSize > BigInt(Number.MAX_SAFE_INTEGER)) bad('tree_size out of range');
  const frontier = o.frontier;
  if (!Array.isArray(frontier) || frontier.length > 64) bad('frontier must be a list of at most 64 hashes');
  if (typeof o.algorithm !== 'string' || typeof o.key_id !== 'string' || typeof o.signature !== 'string') {
    bad('algorithm, key_id and signature must be strings');
  }
  const chainHead = hexBytes(c.chain_head, 'chain_head', true);
  return {
    checkpoint: {
      streamId: c.stream_id,
      treeSize: Number(treeSize),
      rootHash: hexBytes(c.root_hash, 'root_hash'),
      chainHead: chainHead.length === 0 ? undefined : chainHead,
      timeUnixNano: decimal(c.time_unix_nano, 'time_unix_nano'),
    },
    algorithm: o.algorithm,
    keyId: o.key_id,
    signature: Buffer.from(o.signature, 'base64'),
    frontier: (frontier as unknown[]).map((h, i) => hexBytes(h, `frontier[${i}]`)),
  };
}
