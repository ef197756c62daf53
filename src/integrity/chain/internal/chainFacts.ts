/**
 * What chain recovery needs of one stored record frame: its chain
 * attributes and the IntegrityHash the chain continues from. A record within
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
import {
  decodeStoredRecord,
  RecordBudgetError,
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
}

const HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * The chain facts of `frame`, decoding it within `recordElementsMax` elements. Throws what decoding
 * throws (other than beyond the budget), and `RecordDecodeError` when a frame beyond it cannot be read.
 */
export function chainFacts(frame: StoredRecordFrame, recordElementsMax: number): ChainFacts {
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
  };
}

function storedHash(value: unknown): Uint8Array | undefined {
  return typeof value === 'string' && HASH_HEX.test(value) ? bytesOfDigestHex(value) : undefined;
}

/** The value of the record's first attribute with `key`. */
export function attr(record: AuditRecord, key: string): unknown {
  return record.attributes.find((kv) => kv.key === key)?.value;
}
