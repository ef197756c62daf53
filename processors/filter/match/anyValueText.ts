/**
 * Text forms of AnyValues, as the Collector's pdata produces them, so that
 * matching and conversion give the same answers here as there:
 * - `asString`: pdata `Value.AsString()` — strings as they are, ints in
 *   decimal, doubles as an ECMAScript number-to-string (which pdata copies),
 *   booleans `true`/`false`, bytes in standard base64, maps and lists as
 *   JSON (`encoding/json` of `AsRaw()`), the empty value as `""`.
 * - `formatDoubleFixed`: Go's `strconv.FormatFloat(x, 'f', -1, 64)` (never an
 *   exponent), used by the Collector's attribute matchers.
 * - `toJson`: `encoding/json` of a raw value: map keys sorted, bytes base64,
 *   `<`, `>`, `&`, U+2028 and U+2029 escaped; NaN or ±Infinity cannot be
 *   encoded (returns undefined).
 */
import { isKeyValueList, type AnyValue } from '../../../src/record/AnyValue.ts';

export function asString(value: AnyValue | undefined): string {
  if (value === undefined || value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      return formatDoubleShortest(value);
    default:
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return toJson(value) ?? '';
  }
}

/** ECMAScript Number::toString, with Go's spellings of -0, NaN and the infinities. */
export function formatDoubleShortest(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: the shortest digits that round-trip, without an exponent. */
export function formatDoubleFixed(x: number): string {
  const shortest = formatDoubleShortest(x);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(shortest);
  if (match === null) return shortest;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `encoding/json.Marshal(AsRaw())`; undefined when a double is NaN or infinite. */
export function toJson(value: AnyValue): string | undefined {
  try {
    return encode(value);
  } catch (err) {
    if (err instanceof UnsupportedJsonValue) return undefined;
    throw err;
  }
}

class UnsupportedJsonValue extends Error {}

function encode(value: AnyValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quoteJson(value);
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      if (!Number.isFinite(value)) throw new UnsupportedJsonValue();
      return formatDoubleShortest(value);
  }
  if (value instanceof Uint8Array) return `"${Buffer.from(value).toString('base64')}"`;
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (!isKeyValueList(value)) return 'null';
  // AsRaw builds a Go map: a later duplicate key overwrites an earlier one; Marshal sorts the keys.
  const entries = new Map<string, AnyValue>();
  for (const kv of value.values) entries.set(kv.key, kv.value);
  const keys = [...entries.keys()].sort(compareCodePoints);
  return `{${keys.map((key) => `${quoteJson(key)}:${encode(entries.get(key) ?? null)}`).join(',')}}`;
}

/** Go's `encoding/json` string quoting. */
export function quoteJson(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Orders strings as Go does (by UTF-8 bytes, which is code-point order), not by UTF-16 code units. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF: they sort after 0xE000-0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
