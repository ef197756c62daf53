/**
 * The OTLP `AnyValue` (opentelemetry-proto v1.5.0, `common.proto`) mapped onto
 * JavaScript so that every OTLP kind is a distinct JavaScript type and a
 * `typeof` / `instanceof` / `Array.isArray` check tells them apart:
 *
 * | OTLP                     | JavaScript                                          |
 * |--------------------------|-----------------------------------------------------|
 * | `string_value`           | `string` (valid UTF-16: no lone surrogates)         |
 * | `bool_value`             | `boolean`                                           |
 * | `int_value` (int64)      | `bigint` in [-2^63, 2^63-1] — exact, never a number |
 * | `double_value`           | `number` — NaN, ±Infinity and -0 included           |
 * | `bytes_value`            | `Uint8Array`                                        |
 * | `array_value`            | `AnyValue[]`                                        |
 * | `kvlist_value`           | `KeyValueList` (`{ values: KeyValue[] }`): ordered, duplicates kept |
 * | empty (no field set)     | `null`                                              |
 *
 * "Absent" (no AnyValue at all, e.g. a log record without a body) is
 * `undefined` and only exists where OTLP has an optional message field
 * (`LogRecord.body`). A `number` is ALWAYS a double: write `5n` for the
 * integer 5.
 */

export type AnyValue = string | boolean | bigint | number | Uint8Array | null | AnyValue[] | KeyValueList;

/** One entry of an attribute list or of a `KeyValueList`. */
export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** OTLP `KeyValueList`: an ordered list of entries; duplicate keys are preserved as received. */
export interface KeyValueList {
  values: KeyValue[];
}

export type AnyValueKind = 'string' | 'bool' | 'int' | 'double' | 'bytes' | 'array' | 'kvlist' | 'empty';

/**
 * The deepest AnyValue nesting any record may have, everywhere in the
 * product (a scalar, an empty value or an empty array/kvlist has depth 1; a
 * container has 1 + the depth of its deepest element). The protobuf codec
 * relies on it: protobufjs stops at 100 nested messages and a kvlist level
 * costs 3 (AnyValue → KeyValueList → KeyValue), so 32 levels below a
 * LogRecord attribute (message depth 5) reach depth 99.
 */
export const ANY_VALUE_DEPTH_CEILING = 32;

/**
 * The most AnyValues and key-values one record may hold, everywhere in the
 * product (a record's attributes, its body, its resource's and scope's
 * attributes, at any depth, each counted once per place it appears). Every
 * one of them takes at least one byte of the record's payload, and no WAL
 * stores a payload over 128 MiB (`payload_bytes_max`'s maximum), so no
 * storable record comes near it. What it bounds is a value built in process
 * that shares its parts: `a = [b, b]`, `b = [c, c]`, … 32 levels deep is 2^32
 * values for a few dozen objects, and walking it (to validate, bound or
 * convert it) would run for hours instead of failing.
 */
export const RECORD_ELEMENTS_CEILING = 128 * 1024 * 1024;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** The kind of a (valid) AnyValue. */
export function anyValueKind(value: AnyValue): AnyValueKind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    default:
      if (value === null) return 'empty';
      if (value instanceof Uint8Array) return 'bytes';
      if (Array.isArray(value)) return 'array';
      return 'kvlist';
  }
}

/** True when `value` is a `KeyValueList` (and not an array, bytes or the empty value). */
export function isKeyValueList(value: AnyValue | undefined): value is KeyValueList {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** Builds a `KeyValueList` from entries, keeping their order (and any duplicate keys). */
export function kvlist(entries: Iterable<readonly [string, AnyValue]>): KeyValueList {
  const values: KeyValue[] = [];
  for (const [key, value] of entries) values.push({ key, value });
  return { values };
}
