/**
 * A value written in YAML turned into an AnyValue, as the Collector's
 * `pcommon.Value.FromRaw` does with what its YAML decoder produced:
 *
 * | YAML                         | AnyValue                                    |
 * |------------------------------|---------------------------------------------|
 * | string                       | string                                      |
 * | `true` / `false`             | bool                                        |
 * | integer (`123`, `-7`, `1e3`) | int (int64, `bigint`)                       |
 * | other number (`1.5`, `.inf`) | double                                      |
 * | list                         | array (each item converted)                 |
 * | map                          | kvlist (keys in the order written)          |
 * | `null` / empty (in a list)   | the empty value                             |
 *
 * JavaScript numbers do not remember how they were written, so a float
 * literal with an integral value (`1.0`, `1e3`) becomes an int, where Go
 * would keep a double. Integers outside ±(2^53 - 1) cannot be read exactly
 * from YAML and are rejected: write them as strings and `convert` them.
 */
import {
  ANY_VALUE_DEPTH_CEILING,
  INT64_MAX,
  INT64_MIN,
  type AnyValue,
  type KeyValue,
} from '../../../src/record/AnyValue.ts';

export type YamlValueResult =
  { readonly ok: true; readonly value: AnyValue } | { readonly ok: false; readonly message: string };

export function yamlToAnyValue(raw: unknown): YamlValueResult {
  try {
    return { ok: true, value: convert(raw, 1) };
  } catch (err) {
    if (err instanceof YamlValueError) return { ok: false, message: err.message };
    throw err;
  }
}

class YamlValueError extends Error {}

function convert(raw: unknown, depth: number): AnyValue {
  if (depth > ANY_VALUE_DEPTH_CEILING) {
    throw new YamlValueError(`is nested deeper than ${ANY_VALUE_DEPTH_CEILING} levels`);
  }
  if (raw === null || raw === undefined) return null;
  switch (typeof raw) {
    case 'string':
    case 'boolean':
      return raw;
    case 'bigint':
      if (raw < INT64_MIN || raw > INT64_MAX) throw new YamlValueError(`${raw} is outside the int64 range`);
      return raw;
    case 'number':
      if (!Number.isInteger(raw)) return raw;
      if (!Number.isSafeInteger(raw)) {
        throw new YamlValueError(
          `the integer ${raw} cannot be read exactly (beyond ±(2^53 - 1)); write it as a string and use action: convert`,
        );
      }
      return BigInt(raw);
  }
  if (Array.isArray(raw)) return raw.map((item: unknown) => convert(item, depth + 1));
  if (typeof raw === 'object' && raw !== null && !(raw instanceof Date)) {
    const values: KeyValue[] = [];
    for (const [key, item] of Object.entries(raw)) values.push({ key, value: convert(item, depth + 1) });
    return { values };
  }
  throw new YamlValueError(`values of this kind (${Object.prototype.toString.call(raw)}) are not supported`);
}
