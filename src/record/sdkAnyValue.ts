/**
 * Conversion between OpenTelemetry JS values (`AnyValue` of
 * @opentelemetry/api 1.10: `unknown` holding string, number, boolean,
 * Uint8Array, arrays, plain objects, null) and the record model's `AnyValue`.
 *
 * SDK → record (`fromSdkAnyValue`), matching what the OTLP exporter sends:
 * - number: an integer (`Number.isInteger`) in the int64 range that is not -0
 *   → int64 (`bigint`); anything else (fractions, NaN, ±Infinity, -0, beyond
 *   int64) → double. JavaScript has one number type, so an integral double
 *   (`3.0`) becomes int64 — the same choice as the OTLP exporter.
 * - bigint (not an API AnyValue, but a body may hold one): int64 when in
 *   range, else its decimal string.
 * - string: as is; a lone surrogate (not representable in OTLP's UTF-8) is
 *   replaced by U+FFFD, as the OTLP exporter's UTF-8 encoding does.
 * - Uint8Array / Buffer: copied to a fresh Uint8Array.
 * - array: element by element; `undefined` and unrepresentable elements
 *   (functions, symbols) become the empty value.
 * - other objects: a kvlist of their own enumerable properties in
 *   `Object.entries` order, skipping `undefined`.
 * - null → empty value.
 * Nesting deeper than ANY_VALUE_DEPTH_CEILING (which a circular structure
 * always is) throws `RecordInvalidError`.
 *
 * Record → SDK (`toSdkAnyValue`): int64 → number when it is a safe integer,
 * else its decimal string (the SDK has no 64-bit integer); double → number;
 * kvlist → plain object (the first of duplicate keys wins); bytes → a copy.
 */
import { ANY_VALUE_DEPTH_CEILING, INT64_MAX, INT64_MIN, type AnyValue, type KeyValue } from './AnyValue.ts';
import { RecordInvalidError } from './errors.ts';
import { wellFormed } from './internal/sdkFields.ts';

const TWO_POW_63 = 2 ** 63;

export function fromSdkAnyValue(value: unknown, path: string, depth = 1): AnyValue {
  if (depth > ANY_VALUE_DEPTH_CEILING) {
    throw new RecordInvalidError(
      path,
      `value nested deeper than ${ANY_VALUE_DEPTH_CEILING} levels (or circular)`,
    );
  }
  switch (typeof value) {
    case 'string':
      return wellFormed(value);
    case 'boolean':
      return value;
    case 'number':
      return Number.isInteger(value) && !Object.is(value, -0) && value >= -TWO_POW_63 && value < TWO_POW_63
        ? BigInt(value)
        : value;
    case 'bigint':
      return value >= INT64_MIN && value <= INT64_MAX ? value : value.toString();
    case 'object':
      if (value === null) return null;
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (Array.isArray(value)) {
        const out: AnyValue[] = [];
        for (let i = 0; i < value.length; i++)
          out.push(fromSdkAnyValue(value[i] ?? null, `${path}[${i}]`, depth + 1));
        return out;
      }
      return { values: fromSdkAttributes(value as Record<string, unknown>, path, depth) };
    default:
      // undefined, function, symbol: not representable
      return null;
  }
}

/** An SDK attributes object (or plain map) → ordered key-values, skipping `undefined` values. */
export function fromSdkAttributes(
  attributes: Readonly<Record<string, unknown>>,
  path: string,
  depth = 0,
): KeyValue[] {
  const out: KeyValue[] = [];
  const keys = Object.keys(attributes);
  const valueDepth = depth + 1;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = attributes[key];
    if (value === undefined) continue;
    // A scalar needs no path (it cannot fail) unless it is already too deep; building the
    // path for every attribute was measured at ~1/4 of this function's time.
    const scalar = typeof value !== 'object' || value === null;
    out.push({
      key: wellFormed(key),
      value:
        scalar && valueDepth <= ANY_VALUE_DEPTH_CEILING
          ? fromSdkAnyValue(value, '', valueDepth)
          : fromSdkAnyValue(value, `${path}.${key}`, valueDepth),
    });
  }
  return out;
}

/** Record AnyValue → OTel API AnyValue (see the module comment for the lossy cases). */
export function toSdkAnyValue(value: AnyValue): unknown {
  switch (typeof value) {
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'object':
      if (value === null) return null;
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (Array.isArray(value)) return value.map(toSdkAnyValue);
      return toSdkAttributes(value.values);
    default:
      return value;
  }
}

/** Key-values → a plain object; the first of duplicate keys wins (as `getAttribute` does). */
export function toSdkAttributes(list: readonly KeyValue[]): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  const seen = new Set<string>();
  for (const { key, value } of list) {
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push([key, toSdkAnyValue(value)]);
  }
  return Object.fromEntries(entries); // defines own properties: a '__proto__' key stays data
}
