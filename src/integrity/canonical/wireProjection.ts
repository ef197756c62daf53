/**
 * The IntegrityHash of a stored record computed from its WAL payload
 * without decoding it (internal/wireProjectionWriter.ts): the SHA-256 of
 * exactly `canonicalRecordBytes(decodeRecord(payload))`, with the record's
 * chain attributes read in the same pass — or `undefined` when the payload
 * is not one the wire writer takes (then decode it: `decodeRecord` gives
 * the record or the error). Verify and chain recovery use it first.
 *
 * Memory is bounded whatever the payload holds (a 64 KiB scratch handed on
 * to an incremental SHA-256), so a record too large to decode within a
 * budget can still be hashed (`elementsMax` Infinity).
 */
import { HashingSink } from './internal/HashingSink.ts';
import {
  CHAIN_INTEGRITY_HASH,
  CHAIN_INTEGRITY_VALUE,
  CHAIN_NUMBER,
  CHAIN_PREVIOUS_HASH,
  CHAIN_STREAM_ID,
  WireProjectionWriter,
  type WireValue,
} from './internal/wireProjectionWriter.ts';

export { WIRE_OTHER_VALUE, type WireValue } from './internal/wireProjectionWriter.ts';

export interface WireRecordHash {
  /** The IntegrityHash, lowercase hex. */
  readonly hashHex: string;
  /**
   * The value of the record's first attribute with each key, as `attr` of the decoded record gives it
   * for a string or an int (bigint); `WIRE_OTHER_VALUE` for any other kind or none; undefined when no
   * attribute has that key.
   */
  readonly streamId: WireValue;
  readonly number: WireValue;
  readonly previousHash: WireValue;
  readonly integrityHash: WireValue;
  readonly integrityValue: WireValue;
  /** Protobuf elements of the payload, counted as the decoders count them (`DecodeLimits.elementCountMax`). */
  readonly elements: number;
}

const sink = new HashingSink();
const writer = new WireProjectionWriter(sink);

/**
 * The IntegrityHash and chain attributes of the record stored as `payload`, or undefined when the
 * payload is not taken (see above) or holds more than `elementsMax` protobuf elements.
 */
export function wireRecordHash(payload: Uint8Array, elementsMax: number): WireRecordHash | undefined {
  sink.begin(false);
  if (!writer.project(payload, elementsMax)) return undefined;
  const chain = writer.chain;
  return {
    hashHex: sink.digestHex(),
    streamId: chain[CHAIN_STREAM_ID],
    number: chain[CHAIN_NUMBER],
    previousHash: chain[CHAIN_PREVIOUS_HASH],
    integrityHash: chain[CHAIN_INTEGRITY_HASH],
    integrityValue: chain[CHAIN_INTEGRITY_VALUE],
    elements: writer.elements,
  };
}

/** The canonical bytes of the record stored as `payload` (a copy), or undefined when not taken. */
export function wireCanonicalBytes(payload: Uint8Array): Uint8Array | undefined {
  sink.begin(true);
  if (!writer.project(payload, Infinity)) return undefined;
  return sink.collected();
}
