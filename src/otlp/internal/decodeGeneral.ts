/**
 * The general protobuf decoder: the bounded wire scan, protobufjs, then the
 * conversion to records. `decodeFast` leaves it every input it does not take
 * (every error, rare merges), so results are the same and errors precise.
 */
import { OtelAuditError } from '../../errors.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';
import { ExportLogsServiceRequestType } from './otlpRoot.ts';
import type { PbLogsData } from './pbTypes.ts';
import { recordsFromPb } from './pbToRecords.ts';
import { scanMessageOf } from './wireSchema.ts';
import { scanWire } from './wireScan.ts';

const REQUEST_SCAN = scanMessageOf(ExportLogsServiceRequestType);

export function decodeGeneral(bytes: Uint8Array, limits: DecodeLimits): AuditRecord[] {
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
