/**
 * OTLP protobuf ⇄ `AuditRecord[]` for `ExportLogsServiceRequest`
 * (opentelemetry-proto v1.5.0; the same bytes are a valid `LogsData`).
 *
 * Decoding is strict and bounded (see internal/wireScan.ts): the input is
 * validated without recursion before protobufjs decodes it; every failure is
 * an `OtlpDecodeError` or a `DecodeLimitError` naming the path — never a
 * crash. Unknown fields are skipped and not preserved. Records come out
 * flattened in request order; records of one ScopeLogs share their
 * `resource` and `scope` objects (frozen).
 *
 * Encoding validates every record (`RecordInvalidError`) and groups records
 * by resource and scope (see internal/recordsToPb.ts); the output is
 * deterministic for a given input.
 */
import type { AuditRecord } from '../record/AuditRecord.ts';
import { resolveDecodeLimits } from '../record/DecodeLimits.ts';
import { validateRecord } from '../record/validateRecord.ts';
import { OtelAuditError } from '../errors.ts';
import { OtlpDecodeError } from './OtlpDecodeError.ts';
import type { OtlpDecodeOptions } from './OtlpDecodeOptions.ts';
import { ExportLogsServiceRequestType, Writer } from './internal/otlpRoot.ts';
import type { PbLogsData } from './internal/pbTypes.ts';
import { recordsFromPb } from './internal/pbToRecords.ts';
import { pbFromRecords } from './internal/recordsToPb.ts';
import { scanMessageOf } from './internal/wireSchema.ts';
import { scanWire } from './internal/wireScan.ts';

const REQUEST_SCAN = scanMessageOf(ExportLogsServiceRequestType);

export function encodeOtlpLogsProtobuf(records: readonly AuditRecord[]): Uint8Array {
  for (const record of records) validateRecord(record);
  return ExportLogsServiceRequestType.encode(pbFromRecords(records)).finish();
}

/**
 * `encodeOtlpLogsProtobuf` with one byte before the message, written by the
 * same writer (the WAL record encoding's version byte): one allocation, no copy.
 */
export function encodeOtlpLogsProtobufPrefixed(
  prefixByte: number,
  records: readonly AuditRecord[],
): Uint8Array {
  for (const record of records) validateRecord(record);
  const writer = Writer.create();
  writer.uint32(prefixByte & 0x7f);
  return ExportLogsServiceRequestType.encode(pbFromRecords(records), writer).finish();
}

export function decodeOtlpLogsProtobuf(bytes: Uint8Array, options: OtlpDecodeOptions = {}): AuditRecord[] {
  const limits = resolveDecodeLimits(options.limits);
  if (!(bytes instanceof Uint8Array)) throw new OtlpDecodeError('', 'expected protobuf bytes (Uint8Array)');
  scanWire(bytes, REQUEST_SCAN, limits);
  let request: PbLogsData;
  try {
    request = ExportLogsServiceRequestType.decode(bytes) as PbLogsData;
  } catch (error) {
    // scanWire accepts only what protobufjs can read; this is a backstop
    throw new OtlpDecodeError(
      '',
      `malformed protobuf: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  try {
    return recordsFromPb(request, limits);
  } catch (error) {
    if (error instanceof OtelAuditError) throw error;
    throw new OtlpDecodeError('', `cannot convert the request: ${String(error)}`, error);
  }
}
