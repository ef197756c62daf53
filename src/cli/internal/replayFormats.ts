/**
 * The output formats of `replay` (docs/cli.md, "Output formats"). Both are
 * built by the OTLP/JSON encoder, so they follow the OTLP/JSON rules
 * (int64/fixed64 as decimal strings, bytes as base64, trace/span ids as
 * lowercase hex, enums as integers, default values left out):
 *
 * - `jsonl`: one line per record,
 *   `{"seq":N,"time":"<RFC 3339, ns>","record":{"resource":{...},"scope":{...},<LogRecord fields>}}`;
 *   `resource` and `scope` are the OTLP/JSON Resource and InstrumentationScope,
 *   each with its `schemaUrl` (which OTLP keeps on ResourceLogs / ScopeLogs).
 * - `otlp-json`: one OTLP/JSON `ExportLogsServiceRequest` per line, for up to
 *   `BATCH_RECORDS_MAX` records or about `BATCH_PAYLOAD_BYTES_MAX` of stored
 *   payload, grouped by resource and scope; lossless, and accepted as is by
 *   any OTLP/HTTP logs endpoint (`Content-Type: application/json`).
 *
 * Records must have passed `validateRecord`.
 */
import { assert } from '../../errors.ts';
import { encodeOtlpLogsJson } from '../../otlp/jsonCodec.ts';
import { jsonFromRecords } from '../../otlp/json/recordsToJson.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { formatTimeUnixNano } from './time.ts';

export const REPLAY_FORMATS = ['jsonl', 'otlp-json'] as const;
export type ReplayFormat = (typeof REPLAY_FORMATS)[number];

export const BATCH_RECORDS_MAX = 512;
export const BATCH_PAYLOAD_BYTES_MAX = 4 * 1024 * 1024;

export interface ReplayEntry {
  readonly seq: number;
  /** The WAL frame's time (what `--from`/`--to` select on). */
  readonly timeUnixNano: bigint;
  readonly record: AuditRecord;
  readonly payloadBytes: number;
}

export interface ReplayFormatter {
  /** Takes one record; returns a complete output line when there is one. */
  add(entry: ReplayEntry): string | undefined;
  /** The last line, if records are still held. */
  finish(): string | undefined;
}

export function createReplayFormatter(format: ReplayFormat): ReplayFormatter {
  return format === 'jsonl' ? { add: jsonlLine, finish: () => undefined } : new OtlpJsonBatcher();
}

type JsonObject = Record<string, unknown>;

interface OneRecordRequest {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: JsonObject;
    readonly schemaUrl?: string;
    readonly scopeLogs: ReadonlyArray<{
      readonly scope: JsonObject;
      readonly schemaUrl?: string;
      readonly logRecords: readonly JsonObject[];
    }>;
  }>;
}

function jsonlLine(entry: ReplayEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    time: formatTimeUnixNano(entry.timeUnixNano),
    record: recordJson(entry.record),
  });
}

/** The record's OTLP/JSON LogRecord, with its resource and scope: the one-record request, unwrapped. */
export function recordJson(record: AuditRecord): JsonObject {
  const request = jsonFromRecords([record]) as unknown as OneRecordRequest;
  const resourceLogs = request.resourceLogs[0];
  const scopeLogs = resourceLogs?.scopeLogs[0];
  const logRecord = scopeLogs?.logRecords[0];
  assert(
    resourceLogs !== undefined && scopeLogs !== undefined && logRecord !== undefined,
    'a one-record request holds one resource, one scope and one log record',
  );
  return {
    resource: withSchemaUrl(resourceLogs.resource, resourceLogs.schemaUrl),
    scope: withSchemaUrl(scopeLogs.scope, scopeLogs.schemaUrl),
    ...logRecord,
  };
}

function withSchemaUrl(object: JsonObject, schemaUrl: string | undefined): JsonObject {
  return schemaUrl === undefined ? object : { ...object, schemaUrl };
}

class OtlpJsonBatcher implements ReplayFormatter {
  private records: AuditRecord[] = [];
  private payloadBytes = 0;

  add(entry: ReplayEntry): string | undefined {
    this.records.push(entry.record);
    this.payloadBytes += entry.payloadBytes;
    const full = this.records.length >= BATCH_RECORDS_MAX || this.payloadBytes >= BATCH_PAYLOAD_BYTES_MAX;
    return full ? this.finish() : undefined;
  }

  finish(): string | undefined {
    if (this.records.length === 0) return undefined;
    const line = encodeOtlpLogsJson(this.records);
    this.records = [];
    this.payloadBytes = 0;
    return line;
  }
}
