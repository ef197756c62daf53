/**
 * A parsed OTLP/JSON `ExportLogsServiceRequest` → `AuditRecord[]`, flattened
 * in request order; records of one ScopeLogs share one frozen `resource` and
 * `scope`. Field names are lowerCamelCase, the original snake_case names are
 * accepted too; unknown fields are ignored; `null` means "not set". Limits
 * are checked as values are read; AnyValue recursion stops at
 * `anyValueDepthMax` (and the text pre-scan already bounded the nesting).
 */
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { DecodeLimitError } from '../../record/errors.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';
import {
  field,
  readArray,
  readBool,
  readBytes,
  readDouble,
  readFixed64,
  readHexId,
  readInt64,
  readObject,
  readString,
  readUint32,
} from './jsonFields.ts';
import { readSeverityNumber } from './severityNumber.ts';

export function recordsFromJson(json: unknown, limits: DecodeLimits): AuditRecord[] {
  return new JsonConverter(limits).request(json);
}

class JsonConverter {
  private readonly limits: DecodeLimits;
  private readonly records: AuditRecord[] = [];

  constructor(limits: DecodeLimits) {
    this.limits = limits;
  }

  request(json: unknown): AuditRecord[] {
    const request = readObject(json, '');
    const resourceLogs = readArray(field(request, 'resourceLogs', 'resource_logs'), 'resourceLogs');
    for (let i = 0; i < resourceLogs.length; i++) this.resourceLogs(resourceLogs[i], `resourceLogs[${i}]`);
    return this.records;
  }

  private resourceLogs(json: unknown, path: string): void {
    const rl = readObject(json, path);
    const resourceJson = field(rl, 'resource');
    const r = resourceJson === undefined ? {} : readObject(resourceJson, `${path}.resource`);
    const resource: AuditResource = Object.freeze({
      attributes: Object.freeze(this.attributes(field(r, 'attributes'), `${path}.resource.attributes`)),
      droppedAttributesCount: readUint32(
        field(r, 'droppedAttributesCount', 'dropped_attributes_count'),
        `${path}.resource.droppedAttributesCount`,
      ),
      schemaUrl: readString(field(rl, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`, this.limits),
    });
    const scopeLogs = readArray(field(rl, 'scopeLogs', 'scope_logs'), `${path}.scopeLogs`);
    for (let j = 0; j < scopeLogs.length; j++)
      this.scopeLogs(scopeLogs[j], resource, `${path}.scopeLogs[${j}]`);
  }

  private scopeLogs(json: unknown, resource: AuditResource, path: string): void {
    const sl = readObject(json, path);
    const scopeJson = field(sl, 'scope');
    const s = scopeJson === undefined ? {} : readObject(scopeJson, `${path}.scope`);
    const scope: AuditScope = Object.freeze({
      name: readString(field(s, 'name'), `${path}.scope.name`, this.limits),
      version: readString(field(s, 'version'), `${path}.scope.version`, this.limits),
      attributes: Object.freeze(this.attributes(field(s, 'attributes'), `${path}.scope.attributes`)),
      droppedAttributesCount: readUint32(
        field(s, 'droppedAttributesCount', 'dropped_attributes_count'),
        `${path}.scope.droppedAttributesCount`,
      ),
      schemaUrl: readString(field(sl, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`, this.limits),
    });
    const logRecords = readArray(field(sl, 'logRecords', 'log_records'), `${path}.logRecords`);
    for (let k = 0; k < logRecords.length; k++) {
      const recordPath = `${path}.logRecords[${k}]`;
      if (this.records.length >= this.limits.recordCountMax) {
        throw new DecodeLimitError(
          recordPath,
          'recordCountMax',
          this.limits.recordCountMax,
          'too many log records',
        );
      }
      this.records.push(this.logRecord(logRecords[k], resource, scope, recordPath));
    }
  }

  private logRecord(json: unknown, resource: AuditResource, scope: AuditScope, path: string): AuditRecord {
    const lr = readObject(json, path);
    const body = field(lr, 'body');
    return {
      resource,
      scope,
      timeUnixNano: readFixed64(field(lr, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
      observedTimeUnixNano: readFixed64(
        field(lr, 'observedTimeUnixNano', 'observed_time_unix_nano'),
        `${path}.observedTimeUnixNano`,
      ),
      severityNumber: readSeverityNumber(
        field(lr, 'severityNumber', 'severity_number'),
        `${path}.severityNumber`,
      ),
      severityText: readString(
        field(lr, 'severityText', 'severity_text'),
        `${path}.severityText`,
        this.limits,
      ),
      body: body === undefined ? undefined : this.anyValue(body, `${path}.body`, 1),
      attributes: this.attributes(field(lr, 'attributes'), `${path}.attributes`),
      droppedAttributesCount: readUint32(
        field(lr, 'droppedAttributesCount', 'dropped_attributes_count'),
        `${path}.droppedAttributesCount`,
      ),
      flags: readUint32(field(lr, 'flags'), `${path}.flags`),
      traceId: readHexId(field(lr, 'traceId', 'trace_id'), `${path}.traceId`, 16),
      spanId: readHexId(field(lr, 'spanId', 'span_id'), `${path}.spanId`, 8),
      eventName: readString(field(lr, 'eventName', 'event_name'), `${path}.eventName`, this.limits),
    };
  }

  private attributes(json: unknown, path: string): KeyValue[] {
    const list = readArray(json, path);
    this.checkCount(list.length, 'attributeCountMax', path);
    return this.keyValues(list, path, 0);
  }

  /** `depth`: AnyValue depth of the list's owner (0 for attribute lists). */
  private keyValues(list: readonly unknown[], path: string, depth: number): KeyValue[] {
    const out = new Array<KeyValue>(list.length);
    for (let i = 0; i < list.length; i++) {
      const kvPath = `${path}[${i}]`;
      const kv = readObject(list[i], kvPath);
      out[i] = {
        key: readString(field(kv, 'key'), `${kvPath}.key`, this.limits),
        value: this.anyValue(field(kv, 'value'), `${kvPath}.value`, depth + 1),
      };
    }
    return out;
  }

  private anyValue(json: unknown, path: string, depth: number): AnyValue {
    if (json === undefined) return null;
    const object = readObject(json, path);
    if (depth > this.limits.anyValueDepthMax) {
      throw new DecodeLimitError(
        path,
        'anyValueDepthMax',
        this.limits.anyValueDepthMax,
        'AnyValue nested too deep',
      );
    }
    let result: AnyValue = null;
    let set: string | undefined;
    for (const [camel, snake] of VALUE_FIELDS) {
      const value = field(object, camel, snake);
      if (value === undefined) continue;
      if (set !== undefined) throw new OtlpDecodeError(path, `more than one value set (${set} and ${camel})`);
      set = camel;
      result = this.valueOf(camel, value, `${path}.${camel}`, depth);
    }
    return result;
  }

  private valueOf(kind: string, value: unknown, path: string, depth: number): AnyValue {
    switch (kind) {
      case 'stringValue':
        return readString(value, path, this.limits);
      case 'boolValue':
        return readBool(value, path);
      case 'intValue':
        return readInt64(value, path);
      case 'doubleValue':
        return readDouble(value, path);
      case 'bytesValue':
        return readBytes(value, path, this.limits);
      case 'arrayValue': {
        const values = readArray(field(readObject(value, path), 'values'), `${path}.values`);
        this.checkCount(values.length, 'arrayLengthMax', `${path}.values`);
        const out = new Array<AnyValue>(values.length);
        for (let i = 0; i < values.length; i++) {
          const element = values[i];
          out[i] = element === null ? null : this.anyValue(element, `${path}.values[${i}]`, depth + 1);
        }
        return out;
      }
      default: {
        const values = readArray(field(readObject(value, path), 'values'), `${path}.values`);
        this.checkCount(values.length, 'arrayLengthMax', `${path}.values`);
        return { values: this.keyValues(values, `${path}.values`, depth) };
      }
    }
  }

  private checkCount(count: number, limit: 'attributeCountMax' | 'arrayLengthMax', path: string): void {
    if (count > this.limits[limit])
      throw new DecodeLimitError(path, limit, this.limits[limit], `${count} entries`);
  }
}

const VALUE_FIELDS: readonly (readonly [string, string])[] = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
];
