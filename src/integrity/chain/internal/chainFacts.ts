/**
 * What chain recovery needs of one stored record frame: its chain
 * attributes and the IntegrityHash the chain continues from.
 *
 * First from its protobuf bytes, without decoding it (canonical/wireProjection.ts:
 * the same hash and chain attributes as decoding, in bounded memory: a 64 KiB
 * scratch, no object per element), whatever its number of elements: so a
 * record beyond the decode budget is re-hashed too, and a modified one is
 * seen as such (`rehashed`). A payload the wire projection does not take
 * goes the way below, as before. A record within
 * the decode budget is decoded and its hash recomputed (recordHash); when the
 * hash it carries (`audit.integrity.hash`, 64 hex digits) differs — the record
 * was modified after it was chained — the chain continues from the carried
 * one, which is what the chain committed to and where verify continues from
 * (recordFacts.ts): continuing from the recomputed one would make verify
 * report a broken link at the next record and a root mismatch at every later
 * checkpoint besides the modification. One beyond it (a legitimate
 * record with many elements, or a CRC-valid hostile frame) is not decoded —
 * that could take gigabytes (see scanChainAttributes.ts) — its chain
 * attributes are read from its protobuf bytes in constant memory, and its
 * hash is the one it carries (`audit.integrity.hash`, written by the chain
 * with it): for a record as it was written that is the recomputed hash; for
 * a modified one it is what the chain committed to, which is also what verify
 * continues the chain from (verify reports the modification).
 */
import { bytesOfDigestHex } from '../../canonical/internal/digestHex.ts';
import { recordHashHex } from '../../canonical/projection.ts';
import { wireRecordHash, type WireRecordHash } from '../../canonical/wireProjection.ts';
import {
  decodeStoredRecord,
  RecordBudgetError,
  STORED_PAYLOAD_BYTES_MAX,
  type StoredRecordFrame,
} from '../../verify/decodeStoredRecord.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../names.ts';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { scanChainAttributes } from './scanChainAttributes.ts';

export interface ChainHash {
  readonly bytes: Uint8Array;
  /** Decoded, and the hash it carries differs from the recomputed one (then `bytes` is the carried one). */
  readonly modified: boolean;
}

export interface ChainFacts {
  /** `audit.sequence.stream_id`, `.number`, `.previous_hash` as `attr` gives them (unknown: compared only). */
  readonly streamId: unknown;
  readonly number: unknown;
  readonly previousHash: unknown;
  /** The hash the chain continues from (computed on first use), or undefined when not known (beyond the budget, none stored). */
  hash(): ChainHash | undefined;
  /** Set when the frame was beyond the decode budget: its chain attributes were read without decoding it. */
  readonly beyondBudget: RecordBudgetError | undefined;
  /** Its hash was recomputed from its protobuf bytes (not decoded): `hash()` is known as for a decoded record. */
  readonly rehashed: boolean;
}

const HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * The chain facts of `frame`, decoding it within `recordElementsMax` elements. Throws what decoding
 * throws (other than beyond the budget), and `RecordDecodeError` when a frame beyond it cannot be read.
 */
export function chainFacts(frame: StoredRecordFrame, recordElementsMax: number): ChainFacts {
  const bytes = frame.payload.length;
  // Not offered a payload decodeStoredRecord refuses by its size (it would decline it anyway).
  const wire = bytes <= STORED_PAYLOAD_BYTES_MAX ? wireRecordHash(frame.payload, Infinity) : undefined;
  if (wire !== undefined) return factsOfWire(frame.seq, bytes, wire, recordElementsMax);
  let record: AuditRecord;
  try {
    record = decodeStoredRecord(frame, recordElementsMax);
  } catch (err) {
    if (!(err instanceof RecordBudgetError)) throw err;
    const s = scanChainAttributes(frame.payload);
    const bytes = storedHash(s.integrityHash);
    const hash = bytes ? { bytes, modified: false } : undefined;
    return {
      streamId: s.streamId,
      number: s.number,
      previousHash: s.previousHash,
      hash: () => hash,
      beyondBudget: err,
      rehashed: false,
    };
  }
  return {
    streamId: attr(record, ATTR_SEQUENCE_STREAM_ID),
    number: attr(record, ATTR_SEQUENCE_NUMBER),
    previousHash: attr(record, ATTR_SEQUENCE_PREVIOUS_HASH),
    hash: () => {
      // Compared as hex, the form both come in (a byte comparison cost ~0.8 µs more per replayed record).
      const computed = recordHashHex(record);
      const stored = attr(record, ATTR_INTEGRITY_HASH);
      const modified = typeof stored === 'string' && stored !== computed && HASH_HEX.test(stored);
      return { bytes: bytesOfDigestHex(modified ? stored : computed), modified };
    },
    beyondBudget: undefined,
    rehashed: false,
  };
}

function factsOfWire(
  seq: number,
  bytes: number,
  wire: WireRecordHash,
  recordElementsMax: number,
): ChainFacts {
  const computed = wire.hashHex;
  const stored = wire.integrityHash;
  const modified = typeof stored === 'string' && stored !== computed && HASH_HEX.test(stored);
  const hash = { bytes: bytesOfDigestHex(modified ? stored : computed), modified };
  return {
    streamId: wire.streamId,
    number: wire.number,
    previousHash: wire.previousHash,
    hash: () => hash,
    beyondBudget:
      wire.elements > recordElementsMax
        ? new RecordBudgetError(seq, bytes, recordElementsMax, undefined)
        : undefined,
    rehashed: true,
  };
}

function storedHash(value: unknown): Uint8Array | undefined {
  return typeof value === 'string' && HASH_HEX.test(value) ? bytesOfDigestHex(value) : undefined;
}

/** The value of the record's first attribute with `key`. */
export function attr(record: AuditRecord, key: string): unknown {
  return record.attributes.find((kv) => kv.key === key)?.value;
}
