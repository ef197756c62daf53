/**
 * What verification needs of one record frame, computed from the record
 * alone (its own bytes, not its position): the chain attributes, its
 * recomputed IntegrityHash checked against the stored one, and the Merkle
 * leaf hash. This is the per-record work of `verifyWal` — the expensive part
 * (decode, canonical projection, SHA-256) — so it can run in worker threads;
 * `StreamChecker.recordFacts` then checks the links in WAL order.
 */
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { decodeForVerify, NotVerifiableError } from './decodeForVerify.ts';
import { attr } from './recordAttr.ts';
import type { RecordSignature } from './recordSignature.ts';
import { bytesOfDigestHex } from '../../canonical/internal/digestHex.ts';
import { recordHash } from '../../canonical/projection.ts';
import { wireRecordHash, type WireRecordHash } from '../../canonical/wireProjection.ts';
import { hashLeaf } from '../../merkle/hash.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../names.ts';

export type RecordFacts =
  /** The payload does not decode as a record. */
  | { readonly kind: 'undecodable'; readonly message: string }
  /** The payload was not checked: beyond verify's limits (`decodeForVerify`), or its worker died. */
  | { readonly kind: 'unverifiable'; readonly message: string }
  /** No `audit.sequence.stream_id`: written without `audit_chain`. */
  | { readonly kind: 'unchained' }
  | ChainedFacts;

export interface ChainedFacts {
  readonly kind: 'chained';
  readonly streamId: string;
  /** `audit.sequence.number` as a number; NaN when absent or not an int. */
  readonly n: number;
  /** Set when the record has no canonical form (then nothing below is meaningful). */
  readonly noCanonicalForm: string | undefined;
  /** The stored `audit.integrity.hash` is present and differs from the recomputed hash. */
  readonly modified: boolean;
  /** The hash the chain continues from: the recomputed one, or the stored one of a modified record. */
  readonly hash: Uint8Array;
  /** The Merkle leaf hash of `hash`. */
  readonly leaf: Uint8Array;
  /** `audit.sequence.previous_hash`; '' when absent or not a string. */
  readonly prevHex: string;
  /**
   * The bytes `prevHex` spells when it is 64 lowercase hex digits, if known (verifyWalParallel's workers
   * decode them): compared with the predecessor's hash instead of the string.
   */
  readonly prevHash?: Uint8Array | undefined;
  /** The record carries an `audit.integrity.value` (a per-record signature to check). */
  readonly signed: boolean;
  /** What that signature says, when a verify worker checked it (recordSignature.ts); else the main thread checks it. */
  readonly signature?: RecordSignature | undefined;
  /** Set when the facts came in a batch (verifyWalParallel): where, and the Merkle merges done there. */
  readonly batched?: BatchedFold;
}

/**
 * A record's place in its batch and the Merkle merges its leaf completes within the batch: `root`
 * is the perfect subtree of the `2^levels` leaves ending with it (leaf index `n - 1`), all records
 * of the batch (`levels` 0: none). See `MerkleTree.appendFolded`.
 */
export interface BatchedFold {
  readonly batch: object;
  readonly index: number;
  readonly levels: number;
  readonly root: Uint8Array | undefined;
}

const HASH_HEX = /^[0-9a-f]{64}$/;
const NO_HASH = new Uint8Array(32);

/**
 * The facts of one record payload: from its protobuf bytes without decoding it when the wire-level
 * projection takes it (canonical/wireProjection.ts: the same hash and chain attributes as decoding,
 * within the same element budget), else decoding it within `recordElementsMax` (see
 * `decodeForVerify`); `onDecoded` is given the record when it was decoded (not on the wire path).
 *
 * Measured: see docs/integrity.md, section 8 ("Verifying without decoding").
 */
export function factsOfPayload(
  payload: Uint8Array,
  recordElementsMax: number,
  onDecoded?: (record: AuditRecord) => void,
): RecordFacts {
  const wire = wireRecordHash(payload, recordElementsMax);
  if (wire !== undefined) return factsOfWire(wire);
  return factsOfDecoded(payload, recordElementsMax, onDecoded);
}

/** `factsOfPayload` by decoding the record (the path for payloads the wire projection does not take). */
export function factsOfDecoded(
  payload: Uint8Array,
  recordElementsMax: number,
  onDecoded?: (record: AuditRecord) => void,
): RecordFacts {
  let record: AuditRecord;
  try {
    record = decodeForVerify(payload, recordElementsMax);
  } catch (err) {
    if (err instanceof NotVerifiableError) return { kind: 'unverifiable', message: err.message };
    return { kind: 'undecodable', message: `record frame does not decode: ${String(err)}` };
  }
  onDecoded?.(record);
  return recordFacts(record);
}

export function recordFacts(record: AuditRecord): RecordFacts {
  const streamId = attr(record, ATTR_SEQUENCE_STREAM_ID);
  if (typeof streamId !== 'string') return { kind: 'unchained' };
  const number = attr(record, ATTR_SEQUENCE_NUMBER);
  const n = typeof number === 'bigint' ? Number(number) : NaN;
  const prev = attr(record, ATTR_SEQUENCE_PREVIOUS_HASH);
  const prevHex = typeof prev === 'string' ? prev : '';
  const signed = typeof attr(record, ATTR_INTEGRITY_VALUE) === 'string';
  let computed: Uint8Array;
  try {
    computed = recordHash(record);
  } catch (err) {
    const noCanonicalForm = `record has no canonical form (${String(err)})`;
    return {
      kind: 'chained',
      streamId,
      n,
      noCanonicalForm,
      modified: true,
      hash: NO_HASH,
      leaf: NO_HASH,
      prevHex,
      signed,
    };
  }
  const stored = attr(record, ATTR_INTEGRITY_HASH);
  const modified = stored !== undefined && stored !== hexOf(computed);
  // The chain committed to the stored hash: continue from it, so the next link is not reported too.
  const hash =
    modified && typeof stored === 'string' && HASH_HEX.test(stored) ? bytesOfDigestHex(stored) : computed;
  return {
    kind: 'chained',
    streamId,
    n,
    noCanonicalForm: undefined,
    modified,
    hash,
    leaf: hashLeaf(hash),
    prevHex,
    signed,
  };
}

/** `recordFacts` of the record the wire projection read (its chain attributes as `attr` gives them). */
export function factsOfWire(wire: WireRecordHash): RecordFacts {
  const streamId = wire.streamId;
  if (typeof streamId !== 'string') return { kind: 'unchained' };
  const number = wire.number;
  const prev = wire.previousHash;
  const stored = wire.integrityHash;
  const computedHex = wire.hashHex;
  const modified = stored !== undefined && stored !== computedHex;
  const hash = bytesOfDigestHex(
    modified && typeof stored === 'string' && HASH_HEX.test(stored) ? stored : computedHex,
  );
  return {
    kind: 'chained',
    streamId,
    n: typeof number === 'bigint' ? Number(number) : NaN,
    noCanonicalForm: undefined,
    modified,
    hash,
    leaf: hashLeaf(hash),
    prevHex: typeof prev === 'string' ? prev : '',
    signed: typeof wire.integrityValue === 'string',
  };
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
