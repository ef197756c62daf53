/**
 * Decoding one stored WAL record in bounded memory, for the read-side
 * commands other than verify (`replay`, `prove`, `reidentify`). A WAL is
 * untrusted input to them: a frame with a valid CRC, written by someone with
 * disk access, can carry a payload built to exhaust memory (a 63 MiB frame
 * of 33 M empty attributes needs several GB of heap to decode). So, as verify
 * does (internal/decodeForVerify.ts, whose budget and default this shares):
 *
 * - the payload is decoded within `recordElementsMax` protobuf elements
 *   (`--record-elements-max`, default `RECORD_ELEMENTS_MAX_DEFAULT` = the
 *   otlp receiver's default `max_elements_per_request`), counted in the
 *   decoder's wire scan before any object is built; beyond it
 *   `RecordBudgetError` (DECODE_LIMIT), naming the WAL seq;
 * - a payload larger than `STORED_PAYLOAD_BYTES_MAX` (= `RECORD_PAYLOAD_BYTES_MAX`,
 *   the largest `payloadBytesMax` the WAL writer accepts) is not decoded at
 *   all: our writer cannot have written it, so it is damage
 *   (`StoredPayloadTooLargeError`, a `RecordDecodeError`, RECORD_DECODE),
 *   naming the WAL seq. The read-only WAL reader already refuses larger
 *   frames (`WAL_FRAME_BYTES_MAX`), and the decoder bounds a single string
 *   or bytes value only by the payload's size.
 */
import { OtelAuditError } from '../../errors.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { RecordDecodeError } from '../../record/errors.ts';
import { RECORD_PAYLOAD_BYTES_MAX } from '../../wal/options.ts';
import { decodeForVerify, NotVerifiableError } from './internal/decodeForVerify.ts';

export { checkRecordElementsMax, RECORD_ELEMENTS_MAX_DEFAULT } from './internal/decodeForVerify.ts';

/** The WAL writer's ceiling on `payloadBytesMax`: `RECORD_PAYLOAD_BYTES_MAX` (src/wal/options.ts, 128 MiB). */
export const STORED_PAYLOAD_BYTES_MAX = RECORD_PAYLOAD_BYTES_MAX;

/** A stored record that was not decoded because it is beyond `recordElementsMax`. Permanent. */
export class RecordBudgetError extends OtelAuditError {
  /** WAL sequence number of the record. */
  readonly seq: number;
  readonly recordElementsMax: number;

  constructor(seq: number, payloadBytes: number, recordElementsMax: number, cause: unknown) {
    super(
      'DECODE_LIMIT',
      `the record at WAL seq ${seq} (${payloadBytes} bytes) holds more than ${recordElementsMax} protobuf elements, the limit per record (--record-elements-max): not decoded`,
      { cause },
    );
    this.seq = seq;
    this.recordElementsMax = recordElementsMax;
  }
}

/** A stored payload larger than the WAL writer ever stores: damage, not decoded. Permanent. */
export class StoredPayloadTooLargeError extends RecordDecodeError {
  /** WAL sequence number of the record. */
  readonly seq: number;
  readonly payloadBytes: number;

  constructor(seq: number, payloadBytes: number) {
    super(
      `the record at WAL seq ${seq} is ${payloadBytes} bytes, more than the WAL writer ever stores (payloadBytesMax is at most ${STORED_PAYLOAD_BYTES_MAX}): damaged, not decoded`,
    );
    this.seq = seq;
    this.payloadBytes = payloadBytes;
  }
}

/** A record frame as the WAL reader returns it. */
export interface StoredRecordFrame {
  readonly seq: number;
  readonly payload: Uint8Array;
}

/**
 * `decodeRecord` of `frame.payload` within `recordElementsMax` elements (a whole number from 1, or
 * Infinity; see `checkRecordElementsMax`). Throws `RecordBudgetError` beyond it, `StoredPayloadTooLargeError`
 * (a `RecordDecodeError`) for a payload over `STORED_PAYLOAD_BYTES_MAX`, and what `decodeRecord` throws otherwise.
 */
export function decodeStoredRecord(frame: StoredRecordFrame, recordElementsMax: number): AuditRecord {
  const bytes = frame.payload.length;
  if (bytes > STORED_PAYLOAD_BYTES_MAX) throw new StoredPayloadTooLargeError(frame.seq, bytes);
  try {
    return decodeForVerify(frame.payload, recordElementsMax);
  } catch (err) {
    if (err instanceof NotVerifiableError)
      throw new RecordBudgetError(frame.seq, bytes, recordElementsMax, err);
    throw err;
  }
}
