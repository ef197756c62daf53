/**
 * Reads a proof document (ProofDocument.ts) strictly: JSON, the right keys
 * and no others, safe-integer sizes, 64-hex-digit hashes, decodable signed
 * checkpoints and record. Anything else is a `ProofMalformedError` naming
 * the field. Nothing is verified here (verifyProof.ts does that).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { recordsFromJson } from '../../otlp/json/jsonToRecords.ts';
import { validateRecord } from '../../record/validateRecord.ts';
import { WAL_DECODE_LIMITS } from '../../record/walCodec.ts';
import { decodeSignedCheckpoint, type SignedCheckpoint } from '../chain/checkpoint.ts';
import { ProofMalformedError } from './errors.ts';
import {
  CONSISTENCY_KEYS,
  INCLUSION_KEYS,
  PROOF_BYTES_MAX,
  PROOF_FORMAT_VERSION,
  SIGNED_CHECKPOINT_KEYS,
  STORED_CHECKPOINT_KEYS,
  type JsonRecord,
} from './ProofDocument.ts';

export interface ParsedInclusionProof {
  readonly type: 'inclusion';
  readonly streamId: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly recordHash: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly record: AuditRecord;
  readonly inclusionPath: readonly Uint8Array[];
  readonly checkpoint: SignedCheckpoint;
}

export interface ParsedConsistencyProof {
  readonly type: 'consistency';
  readonly streamId: string;
  readonly first: SignedCheckpoint;
  readonly second: SignedCheckpoint;
  readonly consistencyPath: readonly Uint8Array[];
}

export type ParsedProof = ParsedInclusionProof | ParsedConsistencyProof;

/** Paths longer than this cannot belong to any tree of 2^53 - 1 leaves (RFC 9162 paths are at most ~2 log2 n). */
const PATH_ELEMENTS_MAX = 128;
const HEX_HASH = /^[0-9a-f]{64}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `input`: the file's bytes or text. */
export function parseProof(input: string | Uint8Array): ParsedProof {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > PROOF_BYTES_MAX) throw new ProofMalformedError('', `larger than ${PROOF_BYTES_MAX} bytes`);
  let text: string;
  try {
    text = typeof input === 'string' ? input : UTF8.decode(input);
  } catch (error) {
    throw new ProofMalformedError('', 'not UTF-8 text', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProofMalformedError('', `not JSON: ${(error as Error).message}`, error);
  }
  const doc = object(json, '');
  if (doc['type'] === 'inclusion') return inclusion(doc);
  if (doc['type'] === 'consistency') return consistency(doc);
  throw new ProofMalformedError('type', `expected "inclusion" or "consistency", got ${show(doc['type'])}`);
}

function inclusion(doc: JsonRecord): ParsedInclusionProof {
  keys(doc, INCLUSION_KEYS, '');
  version(doc);
  return {
    type: 'inclusion',
    streamId: string(doc['stream_id'], 'stream_id'),
    leafIndex: size(doc['leaf_index'], 'leaf_index'),
    treeSize: size(doc['tree_size'], 'tree_size'),
    recordHash: hash(doc['record_hash'], 'record_hash'),
    leafHash: hash(doc['leaf_hash'], 'leaf_hash'),
    record: record(doc['record'], 'record'),
    inclusionPath: path(doc['inclusion_path'], 'inclusion_path'),
    checkpoint: checkpoint(doc['checkpoint'], 'checkpoint'),
  };
}

function consistency(doc: JsonRecord): ParsedConsistencyProof {
  keys(doc, CONSISTENCY_KEYS, '');
  version(doc);
  return {
    type: 'consistency',
    streamId: string(doc['stream_id'], 'stream_id'),
    first: checkpoint(doc['first'], 'first'),
    second: checkpoint(doc['second'], 'second'),
    consistencyPath: path(doc['consistency_path'], 'consistency_path'),
  };
}

function version(doc: JsonRecord): void {
  if (doc['v'] !== PROOF_FORMAT_VERSION) {
    throw new ProofMalformedError(
      'v',
      `unsupported proof format version ${show(doc['v'])} (this build reads ${PROOF_FORMAT_VERSION})`,
    );
  }
}

function checkpoint(value: unknown, at: string): SignedCheckpoint {
  const stored = object(value, at);
  keys(stored, STORED_CHECKPOINT_KEYS, at);
  keys(object(stored['checkpoint'], `${at}.checkpoint`), SIGNED_CHECKPOINT_KEYS, `${at}.checkpoint`);
  try {
    return decodeSignedCheckpoint(Buffer.from(JSON.stringify(stored), 'utf8'));
  } catch (error) {
    throw new ProofMalformedError(at, (error as Error).message, error);
  }
}

function record(value: unknown, at: string): AuditRecord {
  let records: AuditRecord[];
  try {
    records = recordsFromJson(object(value, at), WAL_DECODE_LIMITS);
    for (const r of records) validateRecord(r);
  } catch (error) {
    if (error instanceof ProofMalformedError) throw error;
    throw new ProofMalformedError(at, `not a valid OTLP/JSON record: ${(error as Error).message}`, error);
  }
  if (records.length !== 1)
    throw new ProofMalformedError(at, `holds ${records.length} log records, expected 1`);
  return records[0] as AuditRecord;
}

function path(value: unknown, at: string): Uint8Array[] {
  if (!Array.isArray(value))
    throw new ProofMalformedError(at, `expected an array of hex hashes, got ${show(value)}`);
  if (value.length > PATH_ELEMENTS_MAX)
    throw new ProofMalformedError(at, `more than ${PATH_ELEMENTS_MAX} elements`);
  return value.map((element, i) => hash(element, `${at}[${i}]`));
}

function hash(value: unknown, at: string): Uint8Array {
  if (typeof value !== 'string' || !HEX_HASH.test(value)) {
    throw new ProofMalformedError(at, `expected 64 lowercase hex digits, got ${show(value)}`);
  }
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function size(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProofMalformedError(at, `expected a whole number >= 0, got ${show(value)}`);
  }
  return value;
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new ProofMalformedError(at, `expected a string, got ${show(value)}`);
  return value;
}

function object(value: unknown, at: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProofMalformedError(at, `expected an object, got ${show(value)}`);
  }
  return value as JsonRecord;
}

/** Every key of `allowed` present, and no other. */
function keys(o: JsonRecord, allowed: readonly string[], at: string): void {
  const prefix = at === '' ? '' : `${at}.`;
  for (const key of allowed) {
    if (!Object.hasOwn(o, key)) throw new ProofMalformedError(`${prefix}${key}`, 'missing');
  }
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new ProofMalformedError(`${prefix}${key}`, 'unknown field');
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
