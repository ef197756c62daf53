/**
 * Plain configuration values: what YAML parsing produces (strings, numbers,
 * booleans, null, lists and string-keyed maps). Maps are plain objects; keys are
 * set with `setKey` so that a YAML key named `__proto__` stays an ordinary key.
 */

export type PlainMap = Record<string, unknown>;

export function isPlainMap(value: unknown): value is PlainMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function setKey(map: PlainMap, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A short, human description of a value for error messages: `"sometimes"`, `42`, `a list`, `a map`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

export function cloneDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneDeep(item)) as T;
  if (isPlainMap(value)) {
    const out: PlainMap = {};
    for (const [key, item] of Object.entries(value)) setKey(out, key, cloneDeep(item));
    return out as T;
  }
  return value;
}
