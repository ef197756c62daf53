/**
 * The `convert` action (Collector `attraction.convertValue`): the new value,
 * or undefined to leave the attribute unchanged.
 * - to `int`: a double is truncated toward zero; a bool is 1 or 0; a string
 *   is parsed as Go's `strconv.ParseInt(s, 10, 64)` — optional sign, decimal
 *   digits, nothing else, exactly over the whole int64 range.
 * - to `double`: an int becomes the nearest double; a bool 1 or 0; a string
 *   is parsed as Go's `strconv.ParseFloat(s, 64)` (decimal, exponent, `inf`,
 *   `infinity`, `nan`, any case).
 * - to `string`: pdata's `AsString()` (see ../filter/match/anyValueText.ts).
 * Values that cannot be converted are left unchanged, as in the Collector.
 * Deviations: a double that is NaN, infinite or outside the int64 range is
 * left unchanged where Go produces an undefined result; Go's hexadecimal
 * float strings (`0x1p-2`) are left unchanged.
 */
import { INT64_MAX, INT64_MIN, type AnyValue } from '../../src/record/AnyValue.ts';
import { asString } from '../filter/match/anyValueText.ts';

export type ConvertedType = 'int' | 'double' | 'string';

const TWO_POW_63 = 2 ** 63;

export function convertValue(value: AnyValue, to: ConvertedType): AnyValue | undefined {
  switch (to) {
    case 'string':
      return typeof value === 'string' ? undefined : asString(value);
    case 'int':
      return toInt(value);
    case 'double':
      return toDouble(value);
  }
}

function toInt(value: AnyValue): bigint | undefined {
  switch (typeof value) {
    case 'boolean':
      return value ? 1n : 0n;
    case 'number': {
      const truncated = Math.trunc(value);
      return Number.isFinite(truncated) && truncated >= -TWO_POW_63 && truncated < TWO_POW_63
        ? BigInt(truncated)
        : undefined;
    }
    case 'string':
      return parseGoInt(value);
    default:
      return undefined;
  }
}

function toDouble(value: AnyValue): number | undefined {
  switch (typeof value) {
    case 'boolean':
      return value ? 1 : 0;
    case 'bigint':
      return Number(value);
    case 'string':
      return parseGoFloat(value);
    default:
      return undefined;
  }
}

/** `strconv.ParseInt(text, 10, 64)`, or undefined on a syntax or range error. */
export function parseGoInt(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** `strconv.ParseFloat(text, 64)` for decimal input, or undefined on a syntax or range error. */
export function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
