/**
 * OTLP/JSON ⇄ `AuditRecord[]` for `ExportLogsServiceRequest`
 * (opentelemetry-proto v1.5.0, OTLP/HTTP JSON encoding): see
 * json/recordsToJson.ts for what is written and json/jsonFields.ts for what
 * is accepted. Decoding failures are `OtlpDecodeError` or `DecodeLimitError`
 * naming the path, e.g.
 * `resourceLogs[0].scopeLogs[1].logRecords[3].traceId: expected 32 hex characters, got string "xyz"`.
 */
import type { AuditRecord } from '../record/AuditRecord.ts';
import { resolveDecodeLimits } from '../record/DecodeLimits.ts';
import { validateRecord } from '../record/validateRecord.ts';
import { OtelAuditError } from '../errors.ts';
import { OtlpDecodeError } from './OtlpDecodeError.ts';
import { recordsFromJson } from './json/jsonToRecords.ts';
import { parseJsonText } from './json/parseJsonText.ts';
import { jsonFromRecords } from './json/recordsToJson.ts';
import type { OtlpDecodeOptions } from './OtlpDecodeOptions.ts';

export function encodeOtlpLogsJson(records: readonly AuditRecord[]): string {
  for (const record of records) validateRecord(record);
  return JSON.stringify(jsonFromRecords(records));
}

/** `input`: the JSON text, or its UTF-8 bytes (e.g. an HTTP request body). */
export function decodeOtlpLogsJson(
  input: string | Uint8Array,
  options: OtlpDecodeOptions = {},
): AuditRecord[] {
  const limits = resolveDecodeLimits(options.limits);
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new OtlpDecodeError('', 'expected JSON text (string or UTF-8 bytes)');
  }
  const json = parseJsonText(input, limits);
  try {
    return recordsFromJson(json, limits);
  } catch (error) {
    if (error instanceof OtelAuditError) throw error;
    throw new OtlpDecodeError('', `cannot convert the request: ${String(error)}`, error);
  }
}
