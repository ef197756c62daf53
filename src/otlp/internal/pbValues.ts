/**
 * Record model → the plain objects protobufjs encodes (canonical form: proto3
 * defaults omitted by protobufjs, empty resource / scope omitted,
 * `KeyValue.value` always present, NaN canonical). Values must have passed
 * `validateRecord` (so recursion is at most 32 levels).
 */
import { isKeyValueList, type AnyValue, type KeyValue } from '../../record/AnyValue.ts';
import type { AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { LongBits, PbAnyValue, PbInstrumentationScope, PbKeyValue, PbResource } from './pbTypes.ts';

export function pbResource(resource: AuditResource): PbResource | undefined {
  if (resource.attributes.length === 0 && resource.droppedAttributesCount === 0) return undefined;
  return {
    attributes: pbKeyValues(resource.attributes),
    droppedAttributesCount: resource.droppedAttributesCount,
  };
}

export function pbScope(scope: AuditScope): PbInstrumentationScope | undefined {
  if (
    scope.name === '' &&
    scope.version === '' &&
    scope.attributes.length === 0 &&
    scope.droppedAttributesCount === 0
  ) {
    return undefined;
  }
  return {
    name: scope.name,
    version: scope.version,
    attributes: pbKeyValues(scope.attributes),
    droppedAttributesCount: scope.droppedAttributesCount,
  };
}

export function pbKeyValues(list: readonly KeyValue[]): PbKeyValue[] {
  const out: PbKeyValue[] = new Array<PbKeyValue>(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as KeyValue;
    out[i] = { key: kv.key, value: pbAnyValue(kv.value) };
  }
  return out;
}

export function pbAnyValue(value: AnyValue): PbAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: longBits(value, false) };
    case 'number':
      return { doubleValue: Number.isNaN(value) ? NaN : value };
    default:
      if (value === null) return {};
      if (value instanceof Uint8Array) return { bytesValue: value };
      if (Array.isArray(value)) return { arrayValue: { values: value.map((v) => pbAnyValue(v)) } };
      if (isKeyValueList(value)) return { kvlistValue: { values: pbKeyValues(value.values) } };
      return {};
  }
}

/** A 64-bit bigint as the { low, high } halves protobufjs writes. */
export function longBits(value: bigint, unsigned: boolean): LongBits {
  return { low: Number(value & 0xffff_ffffn) | 0, high: Number((value >> 32n) & 0xffff_ffffn) | 0, unsigned };
}
