/**
 * Proof documents: JSON files a third party checks with the public key
 * alone (docs/integrity.md, "Proofs"). Hashes are lowercase hex, sizes and
 * indexes JSON numbers (safe integers); `checkpoint`, `first` and `second`
 * are signed checkpoints exactly as the WAL (and the publish directory)
 * stores them (checkpoint.ts).
 *
 *   { "type": "inclusion", "v": 1, "stream_id": s,
 *     "leaf_index": i, "tree_size": n,            — leaf i of the tree of n records (record number i + 1)
 *     "record_hash": hex,                         — the record's IntegrityHash = the Merkle leaf data
 *     "leaf_hash": hex,                           — SHA-256(0x00 || IntegrityHash)
 *     "record": { "resourceLogs": [...] },        — the record: a one-record OTLP/JSON ExportLogsServiceRequest
 *     "inclusion_path": [hex, ...],               — RFC 9162 §2.1.3 audit path, leaf to root
 *     "checkpoint": { "checkpoint": {...}, "algorithm", "key_id", "signature", "frontier" } }
 *
 *   { "type": "consistency", "v": 1, "stream_id": s,
 *     "first": <checkpoint>, "second": <checkpoint>,   — first tree_size <= second tree_size
 *     "consistency_path": [hex, ...] }                 — RFC 9162 §2.1.4 consistency path
 */

import { ProofTooLargeError } from './errors.ts';
import { jsonStringUnits } from './jsonTextUnits.ts';

export const PROOF_FORMAT_VERSION = 1;

export type JsonRecord = Record<string, unknown>;

export interface InclusionProofDocument {
  readonly type: 'inclusion';
  readonly v: typeof PROOF_FORMAT_VERSION;
  readonly stream_id: string;
  readonly leaf_index: number;
  readonly tree_size: number;
  readonly record_hash: string;
  readonly leaf_hash: string;
  readonly record: JsonRecord;
  readonly inclusion_path: readonly string[];
  readonly checkpoint: JsonRecord;
}

export interface ConsistencyProofDocument {
  readonly type: 'consistency';
  readonly v: typeof PROOF_FORMAT_VERSION;
  readonly stream_id: string;
  readonly first: JsonRecord;
  readonly second: JsonRecord;
  readonly consistency_path: readonly string[];
}

export type ProofDocument = InclusionProofDocument | ConsistencyProofDocument;

export const INCLUSION_KEYS = [
  'type',
  'v',
  'stream_id',
  'leaf_index',
  'tree_size',
  'record_hash',
  'leaf_hash',
  'record',
  'inclusion_path',
  'checkpoint',
] as const;

export const CONSISTENCY_KEYS = ['type', 'v', 'stream_id', 'first', 'second', 'consistency_path'] as const;

/** The stored checkpoint's keys (`frontier` is unsigned resume state, kept as stored). */
export const STORED_CHECKPOINT_KEYS = ['checkpoint', 'algorithm', 'key_id', 'signature', 'frontier'] as const;
export const SIGNED_CHECKPOINT_KEYS = [
  'v',
  'stream_id',
  'tree_size',
  'root_hash',
  'chain_head',
  'time_unix_nano',
] as const;

/** Proof files larger than this are refused unread (a record is at most a few MiB). */
export const PROOF_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The document as text: indented JSON, a final newline. Throws `ProofTooLargeError` (INVALID_ARGUMENT)
 * for a text over `proofBytesMax` bytes of UTF-8 (default `PROOF_BYTES_MAX`, what verify-proof reads) —
 * refused before the text is built when its strings alone are over it, and when it would be longer than
 * a JavaScript string can be (V8: ~2^29 characters; a record of ~86 MiB of control characters, each
 * `\u00XX` in JSON), which JSON.stringify reports as a bare RangeError.
 */
export function formatProof(proof: ProofDocument, proofBytesMax: number = PROOF_BYTES_MAX): string {
  const what =
    proof.type === 'inclusion'
      ? `the inclusion proof of record ${proof.leaf_index + 1} of stream ${proof.stream_id}`
      : `the consistency proof of stream ${proof.stream_id}`;
  const units = jsonStringUnits(proof, proofBytesMax);
  if (units > proofBytesMax) throw new ProofTooLargeError(what, proofBytesMax, units, true);
  let text: string;
  try {
    text = `${JSON.stringify(proof, null, 2)}\n`;
  } catch (err) {
    if (err instanceof RangeError) throw new ProofTooLargeError(what, proofBytesMax, undefined);
    throw err;
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > proofBytesMax) throw new ProofTooLargeError(what, proofBytesMax, bytes);
  return text;
}
