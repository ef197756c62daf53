/**
 * The WAL payload of one record (docs/record-encoding.md is the reference):
 *
 *   byte 0      encoding version = 0x01
 *   bytes 1..   protobuf `opentelemetry.proto.logs.v1.LogsData`
 *               (opentelemetry-proto v1.5.0) holding exactly one
 *               ResourceLogs → one ScopeLogs → one LogRecord
 *
 * so any language can read a payload with the official .proto files. The
 * protobuf part is the canonical form written by the OTLP encoder
 * (deterministic: the same record always gives the same bytes), and
 * `decodeRecord(encodeRecord(r))` equals `r` exactly — every field, every
 * AnyValue kind, int64 and doubles bit for bit (NaN payloads aside).
 *
 * `decodeRecord` treats the payload as untrusted: bounds-checked, strict,
 * and every failure is a `RecordDecodeError` (code RECORD_DECODE) — never a
 * crash, never an allocation sized by an unchecked length.
 */
import { OtelAuditError } from '../errors.ts';
import { decodeOtlpLogsProtobuf } from '../otlp/protobufCodec.ts';
import { encodeSingleRecord, encodeSingleRecordWithRoom } from '../otlp/internal/singleRecordEncoder.ts';
import type { AuditRecord } from './AuditRecord.ts';
import { ANY_VALUE_DEPTH_CEILING } from './AnyValue.ts';
import { resolveDecodeLimits, type DecodeLimits } from './DecodeLimits.ts';
import { RecordDecodeError } from './errors.ts';

export const RECORD_ENCODING_VERSION = 1;

/**
 * What a WAL payload may hold: one record, the model's depth ceiling, and
 * otherwise only what the payload's own size allows (the WAL bounds that).
 * Every limit is set here, none taken from `DEFAULT_DECODE_LIMITS`: a stored
 * record must always decode again, whatever the defaults for other callers
 * become (`elementCountMax` in particular: records are written without it).
 */
export const WAL_DECODE_LIMITS: DecodeLimits = resolveDecodeLimits({
  recordCountMax: 1,
  attributeCountMax: Infinity,
  arrayLengthMax: Infinity,
  anyValueDepthMax: ANY_VALUE_DEPTH_CEILING,
  stringBytesMax: Infinity,
  bytesLengthMax: Infinity,
  elementCountMax: Infinity,
});

const LIMIT_NAMES = Object.keys(WAL_DECODE_LIMITS) as ReadonlyArray<keyof DecodeLimits>;

export interface DecodeRecordOptions {
  /** Overrides of `WAL_DECODE_LIMITS` (e.g. to re-check stored records against receiver limits). */
  readonly limits?: Partial<DecodeLimits>;
}

/**
 * Validates `record` (throws `RecordInvalidError`, exactly as `validateRecord`
 * would) and encodes it as a version-1 payload. The validation is fused into
 * the encoder's single pass (singleRecordEncoder.ts).
 */
export function encodeRecord(record: AuditRecord): Uint8Array {
  return encodeSingleRecord(RECORD_ENCODING_VERSION, record);
}

/**
 * `encodeRecord` into a Buffer with `headBytes` of room before the payload and
 * `tailBytes` after it, for a container written around it in place (the
 * audit_wal exporter: a WAL frame's header and CRC, `Wal.appendFramedBatch`).
 * The payload is `[headBytes, length - tailBytes)`, byte for byte what
 * `encodeRecord` returns; the room's contents are unspecified.
 */
export function encodeRecordWithRoom(record: AuditRecord, headBytes: number, tailBytes: number): Buffer {
  return encodeSingleRecordWithRoom(RECORD_ENCODING_VERSION, record, headBytes, tailBytes);
}

export function decodeRecord(payload: Uint8Array, options: DecodeRecordOptions = {}): AuditRecord {
  if (!(payload instanceof Uint8Array)) throw new RecordDecodeError('expected a Uint8Array payload');
  if (payload.length === 0) throw new RecordDecodeError('empty record payload');
  const version = payload[0] as number;
  if (version !== RECORD_ENCODING_VERSION) {
    throw new RecordDecodeError(
      `unsupported record encoding version ${version} (this build reads version ${RECORD_ENCODING_VERSION})`,
    );
  }
  let records: AuditRecord[];
  try {
    // keepWireBytes: false: a stored record is not written again, and must not keep a WAL read buffer alive
    records = decodeOtlpLogsProtobuf(payload.subarray(1), {
      limits: walLimits(options.limits),
      keepWireBytes: false,
    });
  } catch (error) {
    if (!(error instanceof OtelAuditError)) {
      throw new RecordDecodeError(`record payload: ${String(error)}`, { cause: error });
    }
    const path = 'path' in error && typeof error.path === 'string' ? error.path : '';
    throw new RecordDecodeError(`record payload: ${error.message}`, { path, cause: error });
  }
  const record = records[0];
  if (records.length !== 1 || record === undefined) {
    throw new RecordDecodeError(`record payload holds ${records.length} log records, expected exactly 1`);
  }
  return record;
}

function walLimits(overrides: Partial<DecodeLimits> | undefined): DecodeLimits {
  if (overrides === undefined) return WAL_DECODE_LIMITS;
  // Overrides that set every limit replace WAL_DECODE_LIMITS whole, so they are resolved as they are:
  // the same result, and a resolved object reused for many records (verify) is not copied and checked
  // again per record (that was +1.6 µs per 260-byte record, ~90% of its decoding time).
  if (LIMIT_NAMES.every((name) => overrides[name] !== undefined)) return resolveDecodeLimits(overrides);
  const defined = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return resolveDecodeLimits({ ...WAL_DECODE_LIMITS, ...Object.fromEntries(defined) });
}
