/**
 * `AuditRecord[]` → the `ExportLogsServiceRequest` / `LogsData` object
 * protobufjs encodes, grouped by resource and scope (groupRecords.ts), in
 * canonical form (pbValues.ts): deterministic for a given input, which the
 * WAL relies on. A body that is the empty value is written as an empty
 * message; an absent body is not written.
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { groupRecords } from './groupRecords.ts';
import type { PbLogRecord, PbLogsData } from './pbTypes.ts';
import { longBits, pbAnyValue, pbKeyValues, pbResource, pbScope } from './pbValues.ts';

/** Records must have passed `validateRecord`. */
export function pbFromRecords(records: readonly AuditRecord[]): PbLogsData {
  return {
    resourceLogs: groupRecords(records).map((group) => ({
      resource: pbResource(group.resource),
      scopeLogs: group.scopes.map((scopeGroup) => ({
        scope: pbScope(scopeGroup.scope),
        logRecords: scopeGroup.records.map(pbLogRecord),
        schemaUrl: scopeGroup.scope.schemaUrl,
      })),
      schemaUrl: group.resource.schemaUrl,
    })),
  };
}

export function pbLogRecord(record: AuditRecord): PbLogRecord {
  return {
    timeUnixNano: longBits(record.timeUnixNano, true),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: record.body === undefined ? undefined : pbAnyValue(record.body),
    attributes: pbKeyValues(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    flags: record.flags,
    traceId: Buffer.from(record.traceId, 'hex'),
    spanId: Buffer.from(record.spanId, 'hex'),
    observedTimeUnixNano: longBits(record.observedTimeUnixNano, true),
    eventName: record.eventName,
  };
}
