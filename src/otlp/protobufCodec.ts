/**
 * OTLP protobuf ⇄ `AuditRecord[]` for `ExportLogsServiceRequest`
 * (opentelemetry-proto v1.5.0; the same bytes are a valid `LogsData`).
 *
 * Decoding is strict and bounded: a one-pass decoder (internal/fastDecode.ts)
 * takes ordinary input; anything else goes to the general decoder
 * (internal/decodeGeneral.ts), where the input is validated without recursion
 * (internal/wireScan.ts) before protobufjs decodes it; every failure is an
 * `OtlpDecodeError` or a `DecodeLimitError` naming the path — never a crash. Unknown fields are skipped and not preserved. Records come out
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
import { OtlpDecodeError } from './OtlpDecodeError.ts';
import type { OtlpDecodeOptions } from './OtlpDecodeOptions.ts';
import { decodeGeneral } from './internal/decodeGeneral.ts';
import { decodeFast } from './internal/fastDecode.ts';
import { ExportLogsServiceRequestType } from './internal/otlpRoot.ts';
import { pbFromRecords } from './internal/recordsToPb.ts';

export function encodeOtlpLogsProtobuf(records: readonly AuditRecord[]): Uint8Array {
  for (const record of records) validateRecord(record);
  return ExportLogsServiceRequestType.encode(pbFromRecords(records)).finish();
}

export function decodeOtlpLogsProtobuf(bytes: Uint8Array, options: OtlpDecodeOptions = {}): AuditRecord[] {
  const limits = resolveDecodeLimits(options.limits);
  if (!(bytes instanceof Uint8Array)) throw new OtlpDecodeError('', 'expected protobuf bytes (Uint8Array)');
  return decodeFast(bytes, limits, options.keepWireBytes === true) ?? decodeGeneral(bytes, limits);
}
