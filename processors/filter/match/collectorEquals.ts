/**
 * Equality of two AnyValues as pdata's `Value.Equal` defines it: same kind;
 * doubles with `==` (NaN never equals NaN, -0 equals 0); bytes byte for
 * byte; lists element by element; maps as maps — the same keys with equal
 * values, in any order (a key's first entry counts).
 */
import { isKeyValueList, type AnyValue, type KeyValue } from '../../../src/record/AnyValue.ts';

export function collectorEquals(a: AnyValue, b: AnyValue): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  if (a instanceof Uint8Array) {
    return b instanceof Uint8Array && a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a)) {
    return (
      Array.isArray(b) && a.length === b.length && a.every((item, i) => collectorEquals(item, b[i] ?? null))
    );
  }
  return isKeyValueList(b) && mapsEqual(a.values, b.values);
}

function mapsEqual(a: readonly KeyValue[], b: readonly KeyValue[]): boolean {
  const left = firstEntries(a);
  const right = firstEntries(b);
  if (left.size !== right.size) return false;
  for (const [key, value] of left) {
    const other = right.get(key);
    if (other === undefined || !collectorEquals(value, other)) return false;
  }
  return true;
}

function firstEntries(list: readonly KeyValue[]): Map<string, AnyValue> {
  const map = new Map<string, AnyValue>();
  for (const kv of list) if (!map.has(kv.key)) map.set(kv.key, kv.value);
  return map;
}
