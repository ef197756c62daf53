/**
 * Structural helpers over valid AnyValues: deep copy and exact equality.
 * Both recurse at most ANY_VALUE_DEPTH_CEILING levels on a valid value (see
 * `validateRecord`); they are not meant for unvalidated input.
 */
import { isKeyValueList, type AnyValue, type KeyValue } from './AnyValue.ts';

/** A deep copy: fresh arrays, lists and byte arrays; scalars are immutable and shared. */
export function cloneAnyValue(value: AnyValue): AnyValue {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(cloneAnyValue);
  return { values: cloneKeyValues(value.values) };
}

export function cloneKeyValues(list: readonly KeyValue[]): KeyValue[] {
  return list.map((kv) => ({ key: kv.key, value: cloneAnyValue(kv.value) }));
}

/**
 * Exact equality: same kind and same content. Doubles compare with
 * `Object.is` (NaN equals NaN, -0 differs from 0); int 1n never equals double 1;
 * kvlists compare entry by entry in order.
 */
export function anyValueEquals(a: AnyValue | undefined, b: AnyValue | undefined): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!anyValueEquals(a[i], b[i])) return false;
    return true;
  }
  return isKeyValueList(b) && keyValuesEqual(a.values, b.values);
}

export function keyValuesEqual(a: readonly KeyValue[], b: readonly KeyValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.key !== y.key || !anyValueEquals(x.value, y.value))
      return false;
  }
  return true;
}
