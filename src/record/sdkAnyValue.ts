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
 * always is) throws `RecordInvalidError`, and so does a conversion that would
 * build more than its element budget of AnyValues and key-values (by default
 * RECORD_ELEMENTS_CEILING; `fromSdkLogRecord` takes a smaller one): a value
 * that shares its parts (`a = [b, b]`, `b = [c, c]`, …) would otherwise be
 * copied into a tree exponentially larger than itself.
 *
 * Record → SDK (`toSdkAnyValue`): int64 → number when it is a safe integer,
 * else its decimal string (the SDK has no 64-bit integer); double → number;
 * kvlist → plain object (the first of duplicate keys wins); bytes → a copy.
 */
import {
  ANY_VALUE_DEPTH_CEILING,
  INT64_MAX,
  INT64_MIN,
  RECORD_ELEMENTS_CEILING,
  type AnyValue,
  type KeyValue,
} from './AnyValue.ts';
import { RecordInvalidError } from './errors.ts';
import { wellFormed } from './internal/sdkFields.ts';

const TWO_POW_63 = 2 ** 63;

/** The budget of the conversion running now (`beginElementBudget`); the outermost call sets it. */
let budgetActive = false;
let budgetMax = RECORD_ELEMENTS_CEILING;
let elementsLeft = RECORD_ELEMENTS_CEILING;

/**
 * Starts one budget of `elementsMax` AnyValues and key-values for everything converted until
 * `endElementBudget` (the body and attributes of one record share one), unless one is already
 * running: returns whether it started one (then the caller ends it, in a `finally`).
 */
export function beginElementBudget(elementsMax: number): boolean {
  if (budgetActive) return false;
  budgetActive = true;
  budgetMax = elementsMax;
  elementsLeft = elementsMax;
  return true;
}

export function endElementBudget(): void {
  budgetActive = false;
}

function overBudget(path: string): RecordInvalidError {
  return new RecordInvalidError(
    path,
    `more than ${budgetMax} values and key-values in one record (larger than the WAL stores; a value that shares its parts many times?)`,
  );
}

export function fromSdkAnyValue(value: unknown, path: string, depth = 1): AnyValue {
  if (budgetActive) return convertValue(value, path, depth);
  beginElementBudget(RECORD_ELEMENTS_CEILING);
  try {
    return convertValue(value, path, depth);
  } finally {
    endElementBudget();
  }
}

function convertValue(value: unknown, path: string, depth: number): AnyValue {
  if (--elementsLeft < 0) throw overBudget(path);
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
          out.push(convertValue(value[i] ?? null, `${path}[${i}]`, depth + 1));
        return out;
      }
      return { values: convertAttributes(value as Record<string, unknown>, path, depth) };
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
  if (budgetActive) return convertAttributes(attributes, path, depth);
  beginElementBudget(RECORD_ELEMENTS_CEILING);
  try {
    return convertAttributes(attributes, path, depth);
  } finally {
    endElementBudget();
  }
}

function convertAttributes(
  attributes: Readonly<Record<string, unknown>>,
  path: string,
  depth: number,
): KeyValue[] {
  const out: KeyValue[] = [];
  const keys = Object.keys(attributes);
  const valueDepth = depth + 1;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = attributes[key];
    if (value === undefined) continue;
    // The key-value and its value (at least one more): a scalar's own count then cannot fail.
    if (--elementsLeft < 1) throw overBudget(`${path}.${key}`);
    // A scalar needs no path (it cannot fail) unless it is already too deep; building the
    // path for every attribute was measured at ~1/4 of this function's time.
    const scalar = typeof value !== 'object' || value === null;
    out.push({
      key: wellFormed(key),
      value:
        scalar && valueDepth <= ANY_VALUE_DEPTH_CEILING
          ? convertValue(value, '', valueDepth)
          : convertValue(value, `${path}.${key}`, valueDepth),
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
