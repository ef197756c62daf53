/**
 * Decoded protobufjs messages → `AuditRecord[]`, flattened in request order.
 * Records of one ScopeLogs share one frozen `resource` and one frozen `scope`
 * object (by reference). Enforces the count limits that only make sense
 * after protobuf merging (attributes per list, array / kvlist lengths) and
 * the id lengths (trace_id 16 bytes, span_id 8 bytes, or empty).
 * Recursion is bounded: `scanWire` already checked the AnyValue depth.
 */
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { DecodeLimitError } from '../../record/errors.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';
import type { LongBits, PbAnyValue, PbKeyValue, PbLogRecord, PbLogsData } from './pbTypes.ts';

export function recordsFromPb(request: PbLogsData, limits: DecodeLimits): AuditRecord[] {
  const records: AuditRecord[] = [];
  const converter = new PbConverter(limits);
  const resourceLogs = request.resourceLogs ?? [];
  for (let i = 0; i < resourceLogs.length; i++) {
    const rl = resourceLogs[i] ?? {};
    const rPath = `resourceLogs[${i}]`;
    const resource: AuditResource = Object.freeze({
      attributes: Object.freeze(
        converter.keyValues(rl.resource?.attributes, `${rPath}.resource.attributes`, true),
      ),
      droppedAttributesCount: rl.resource?.droppedAttributesCount ?? 0,
      schemaUrl: rl.schemaUrl ?? '',
    });
    const scopeLogs = rl.scopeLogs ?? [];
    for (let j = 0; j < scopeLogs.length; j++) {
      const sl = scopeLogs[j] ?? {};
      const sPath = `${rPath}.scopeLogs[${j}]`;
      const scope: AuditScope = Object.freeze({
        name: sl.scope?.name ?? '',
        version: sl.scope?.version ?? '',
        attributes: Object.freeze(
          converter.keyValues(sl.scope?.attributes, `${sPath}.scope.attributes`, true),
        ),
        droppedAttributesCount: sl.scope?.droppedAttributesCount ?? 0,
        schemaUrl: sl.schemaUrl ?? '',
      });
      const logRecords = sl.logRecords ?? [];
      for (let k = 0; k < logRecords.length; k++) {
        records.push(converter.record(logRecords[k] ?? {}, resource, scope, `${sPath}.logRecords[${k}]`));
      }
    }
  }
  return records;
}

class PbConverter {
  private readonly limits: DecodeLimits;

  constructor(limits: DecodeLimits) {
    this.limits = limits;
  }

  record(m: PbLogRecord, resource: AuditResource, scope: AuditScope, path: string): AuditRecord {
    return {
      resource,
      scope,
      timeUnixNano: toUint64(m.timeUnixNano),
      observedTimeUnixNano: toUint64(m.observedTimeUnixNano),
      severityNumber: m.severityNumber ?? 0,
      severityText: m.severityText ?? '',
      body: m.body === null || m.body === undefined ? undefined : this.anyValue(m.body, `${path}.body`),
      attributes: this.keyValues(m.attributes, `${path}.attributes`, true),
      droppedAttributesCount: m.droppedAttributesCount ?? 0,
      flags: m.flags ?? 0,
      traceId: hexId(m.traceId, 16, `${path}.traceId`),
      spanId: hexId(m.spanId, 8, `${path}.spanId`),
      eventName: m.eventName ?? '',
    };
  }

  keyValues(list: readonly PbKeyValue[] | undefined, path: string, isAttributes: boolean): KeyValue[] {
    if (list === undefined || list.length === 0) return [];
    if (isAttributes) this.checkCount(list.length, this.limits.attributeCountMax, 'attributeCountMax', path);
    else this.checkCount(list.length, this.limits.arrayLengthMax, 'arrayLengthMax', path);
    const out: KeyValue[] = new Array<KeyValue>(list.length);
    for (let i = 0; i < list.length; i++) {
      const kv = list[i];
      out[i] = { key: kv?.key ?? '', value: this.anyValue(kv?.value, `${path}[${i}].value`) };
    }
    return out;
  }

  anyValue(m: PbAnyValue | null | undefined, path: string): AnyValue {
    if (m === null || m === undefined) return null;
    switch (m.value) {
      case 'stringValue':
        return m.stringValue ?? '';
      case 'boolValue':
        return m.boolValue === true;
      case 'intValue':
        return toInt64(m.intValue);
      case 'doubleValue':
        return m.doubleValue ?? 0;
      case 'bytesValue':
        return copyBytes(m.bytesValue);
      case 'arrayValue': {
        const values = m.arrayValue?.values ?? [];
        const valuesPath = `${path}.arrayValue.values`;
        this.checkCount(values.length, this.limits.arrayLengthMax, 'arrayLengthMax', valuesPath);
        const out: AnyValue[] = new Array<AnyValue>(values.length);
        for (let i = 0; i < values.length; i++) out[i] = this.anyValue(values[i], `${valuesPath}[${i}]`);
        return out;
      }
      case 'kvlistValue':
        return { values: this.keyValues(m.kvlistValue?.values, `${path}.kvlistValue.values`, false) };
      default:
        return null;
    }
  }

  private checkCount(count: number, max: number, limit: keyof DecodeLimits, path: string): void {
    if (count > max) throw new DecodeLimitError(path, limit, max, `${count} entries`);
  }
}

/** Long / number → int64 bigint (two's complement). */
export function toInt64(value: LongBits | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return BigInt.asIntN(64, (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0));
}

/** Long / number → uint64 bigint. */
export function toUint64(value: LongBits | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function copyBytes(bytes: Uint8Array | undefined): Uint8Array {
  // protobufjs returns views into the input buffer: copy so records never alias it
  return bytes === undefined ? new Uint8Array(0) : new Uint8Array(bytes);
}

function hexId(bytes: Uint8Array | undefined, size: number, path: string): string {
  if (bytes === undefined || bytes.length === 0) return '';
  if (bytes.length !== size)
    throw new OtlpDecodeError(path, `expected ${size} bytes (or none), got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
