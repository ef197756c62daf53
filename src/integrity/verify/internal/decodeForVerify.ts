/**
 * Decoding a record frame for verification, in bounded memory. A WAL is
 * input verify must survive whatever it holds: a frame with a valid CRC can
 * still carry a payload built to exhaust memory (up to the WAL's 256 MiB
 * frame limit of two-byte empty attributes is ~134 million KeyValues; each
 * costs ~60 bytes of heap decoded and ~300 bytes while its record is hashed).
 * So verify decodes each record with an element budget
 * (`DecodeLimits.elementCountMax`, counted in the decoder's wire scan before
 * the objects are built) and reports a record beyond it as `unverifiable`:
 * not known to be damaged, not checked.
 *
 * The default budget is the `otlp` receiver's default
 * `limits::max_elements_per_request` (2 Mi): every record a default receiver
 * accepts verifies, and one record costs at most ~600 MiB of heap to check
 * (measured: 2 Mi empty attributes, 4 MiB payload: 124 MB decoded, 581 MB
 * peak while hashing). Records written through a receiver with a larger
 * limit, or by the in-process SDK without one, may need a larger budget
 * (`recordElementsMax`, `otel-audit verify --record-elements-max`).
 *
 * A payload larger than `WAL_RECORD_PAYLOAD_BYTES_MAX` (the largest
 * `payloadBytesMax` the WAL writer accepts, 128 MiB) is not decoded at all:
 * no WAL writer stored it, so it is damage (`RecordPayloadTooLargeError`,
 * RECORD_DECODE; verify reports it `undecodable` at its WAL seq). The
 * read-only WAL reader already refuses frames that large
 * (`WAL_FRAME_BYTES_MAX`); this keeps the decoder bounded for any caller.
 */
import { OtelAuditError } from '../../../errors.ts';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { resolveDecodeLimits, type DecodeLimits } from '../../../record/DecodeLimits.ts';
import { DecodeLimitError, RecordDecodeError } from '../../../record/errors.ts';
import { decodeRecord, WAL_DECODE_LIMITS } from '../../../record/walCodec.ts';

/**
 * The WAL writer's ceiling on `payloadBytesMax`: `RECORD_PAYLOAD_BYTES_MAX` of src/wal/options.ts,
 * restated here because this module runs in the verify worker threads, which must not import
 * src/wal/options.ts: it imports src/wal/format.ts and with it the native @node-rs/crc32, and a
 * native addon in a worker thread that exits is a known cause of segfaults (see verifyWorker.ts).
 * decodeForVerify.test.ts checks that the two are equal.
 */
export const WAL_RECORD_PAYLOAD_BYTES_MAX = 128 * 1024 * 1024;

/** Default `recordElementsMax`: the `otlp` receiver's default `limits::max_elements_per_request`. */
export const RECORD_ELEMENTS_MAX_DEFAULT = 2_097_152;

/** A record verify did not check because it is beyond verify's limits. */
export class NotVerifiableError extends OtelAuditError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECODE_LIMIT', message, options);
  }
}

/** A record payload larger than any the WAL writer stores (`WAL_RECORD_PAYLOAD_BYTES_MAX`): damage, not decoded. */
export class RecordPayloadTooLargeError extends RecordDecodeError {
  readonly payloadBytes: number;

  constructor(payloadBytes: number) {
    super(
      `record of ${payloadBytes} bytes, more than the WAL writer ever stores (payloadBytesMax is at most ${WAL_RECORD_PAYLOAD_BYTES_MAX}): damaged, not decoded`,
    );
    this.payloadBytes = payloadBytes;
  }
}

/**
 * `decodeRecord` within `recordElementsMax` protobuf elements (messages). Throws
 * `RecordPayloadTooLargeError` for a payload over `WAL_RECORD_PAYLOAD_BYTES_MAX`, `NotVerifiableError`
 * beyond the element budget, and what `decodeRecord` throws otherwise.
 */
export function decodeForVerify(payload: Uint8Array, recordElementsMax: number): AuditRecord {
  if (payload.length > WAL_RECORD_PAYLOAD_BYTES_MAX) throw new RecordPayloadTooLargeError(payload.length);
  try {
    return decodeRecord(payload, { limits: limitsFor(recordElementsMax) });
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined;
    if (cause instanceof DecodeLimitError && cause.limit === 'elementCountMax') {
      throw new NotVerifiableError(
        `record of ${payload.length} bytes holds more than ${recordElementsMax} protobuf elements, verify's limit per record (recordElementsMax, --record-elements-max): not decoded, not verified`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** The WAL's limits with the budget, resolved once per budget (not per record: decodeRecord takes it as is). */
let cached: DecodeLimits = WAL_DECODE_LIMITS;
function limitsFor(recordElementsMax: number): DecodeLimits {
  if (cached.elementCountMax !== recordElementsMax) {
    cached = resolveDecodeLimits({ ...WAL_DECODE_LIMITS, elementCountMax: recordElementsMax });
  }
  return cached;
}

/** Checks a `recordElementsMax` option: a whole number from 1, or Infinity. */
export function checkRecordElementsMax(value: number): number {
  if (!(value === Infinity || (Number.isSafeInteger(value) && value >= 1))) {
    throw new OtelAuditError('INVALID_ARGUMENT', `recordElementsMax must be an integer >= 1, got ${value}`);
  }
  return value;
}
