/**
 * OTTL's `StringLikeGetter` (what IsMatch tests): strings as they are,
 * bytes as lowercase hex, maps and lists as JSON (keys sorted), and ints,
 * doubles and bools as their JSON text. NaN or an infinity cannot be
 * encoded: a runtime error, as in the Collector. nil stays nil.
 */
import { isKeyValueList, type AnyValue } from '../../../src/record/AnyValue.ts';
import { formatDoubleShortest, toJson } from '../match/anyValueText.ts';
import { OttlRuntimeError } from './errors.ts';

export function stringLike(value: AnyValue): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new OttlRuntimeError(`unsupported value ${value}: cannot be made a string`);
      return formatDoubleShortest(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  const json = Array.isArray(value) || isKeyValueList(value) ? toJson(value) : undefined;
  if (json === undefined)
    throw new OttlRuntimeError('a map or list holding NaN or an infinity cannot be made a string');
  return json;
}
