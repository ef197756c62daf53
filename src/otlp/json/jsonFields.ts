/**
 * Typed readers for OTLP/JSON fields (proto3 JSON mapping with the OTLP
 * deviations). Each takes the raw JSON value and the path for errors;
 * `undefined` / `null` mean "not set" and give the proto3 default.
 * - int64 / fixed64: a decimal string, or an integer number (exact `bigint`
 *   when the parser saw a long literal);
 * - uint32 / int32: an integer number or a decimal string;
 * - double: a number, or "NaN" / "Infinity" / "-Infinity" / a numeric string;
 * - bytes: base64, standard or URL-safe alphabet, padding optional;
 * - trace/span ids: hex (OTLP deviation), either case, normalized to lowercase.
 */
import { INT64_MAX, INT64_MIN } from '../../record/AnyValue.ts';
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { DecodeLimitError } from '../../record/errors.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^-?\d+$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const HEX = /^[0-9a-fA-F]*$/;

/** The field by its lowerCamelCase name, else its original snake_case name; null → undefined. */
export function field(object: JsonObject, camel: string, snake: string = camel): unknown {
  let value: unknown;
  if (Object.hasOwn(object, camel)) value = object[camel];
  else if (snake !== camel && Object.hasOwn(object, snake)) value = object[snake];
  return value === null ? undefined : value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function wrongType(path: string, expected: string, value: unknown): OtlpDecodeError {
  return new OtlpDecodeError(path, `expected ${expected}, got ${describe(value)}`);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw wrongType(path, 'an object', value);
  return value as JsonObject;
}

export function readArray(value: unknown, path: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
  return value;
}

export function readString(value: unknown, path: string, limits: DecodeLimits): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw wrongType(path, 'a string', value);
  // a UTF-16 unit is at most 3 UTF-8 bytes: measure only when it could matter
  if (value.length * 3 > limits.stringBytesMax) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > limits.stringBytesMax) {
      throw new DecodeLimitError(path, 'stringBytesMax', limits.stringBytesMax, `string of ${bytes} bytes`);
    }
  }
  if (!value.isWellFormed())
    throw new OtlpDecodeError(path, 'string has a lone surrogate (not valid Unicode)');
  return value;
}

export function readBool(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw wrongType(path, 'true or false', value);
  return value;
}

function readInteger(value: unknown, path: string, min: bigint, max: bigint, kind: string): bigint {
  let result: bigint | undefined;
  if (typeof value === 'bigint') result = value;
  else if (typeof value === 'number' && Number.isInteger(value)) result = BigInt(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) result = BigInt(value);
  if (result === undefined) {
    const expected = kind.endsWith('64') ? `an ${kind} (decimal string)` : `an ${kind}`;
    throw wrongType(path, expected.replace('an uint', 'a uint'), value);
  }
  if (result < min || result > max) throw new OtlpDecodeError(path, `${kind} out of range: ${result}`);
  return result;
}

export function readInt64(value: unknown, path: string): bigint {
  return value === undefined ? 0n : readInteger(value, path, INT64_MIN, INT64_MAX, 'int64');
}

export function readFixed64(value: unknown, path: string): bigint {
  return value === undefined ? 0n : readInteger(value, path, 0n, UINT64_MAX, 'uint64');
}

export function readUint32(value: unknown, path: string): number {
  return value === undefined ? 0 : Number(readInteger(value, path, 0n, 0xffff_ffffn, 'uint32'));
}

export function readInt32(value: unknown, path: string): number {
  return value === undefined ? 0 : Number(readInteger(value, path, -0x8000_0000n, 0x7fff_ffffn, 'int32'));
}

export function readDouble(value: unknown, path: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (JSON_NUMBER.test(value)) return Number(value);
  }
  throw wrongType(path, 'a double (number, "NaN", "Infinity" or "-Infinity")', value);
}

export function readBytes(value: unknown, path: string, limits: DecodeLimits): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw wrongType(path, 'base64 bytes', value);
  }
  const unpadded = value.replace(/=+$/, '').length;
  const size = Math.floor((unpadded * 3) / 4);
  if (size > limits.bytesLengthMax) {
    throw new DecodeLimitError(path, 'bytesLengthMax', limits.bytesLengthMax, `bytes value of ${size} bytes`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** `size` bytes as hex (32 for a trace id, 16 for a span id), or '' → lowercase. */
export function readHexId(value: unknown, path: string, size: number): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || value.length !== size * 2 || !HEX.test(value)) {
    throw wrongType(path, `${size * 2} hex characters`, value);
  }
  return value.toLowerCase();
}
