/**
 * RFC 8785 — JSON Canonicalization Scheme (JCS) — for JavaScript values made
 * of plain objects, arrays, strings, finite numbers, booleans and null.
 *
 * - Object members are sorted by their keys as arrays of UTF-16 code units
 *   (RFC 8785 §3.2.3) — exactly what `Array.prototype.sort` does for strings.
 * - Numbers are serialized as ECMAScript `Number.prototype.toString` does
 *   (§3.2.2.3), which is `JSON.stringify`'s form for finite numbers; -0 → `0`.
 *   NaN and ±Infinity have no JSON form: a typed error.
 * - Strings are escaped as §3.2.2.2 prescribes — the same as ES2019+
 *   `JSON.stringify` for well-formed strings (`\b \t \n \f \r \" \\`, other
 *   C0 controls as `\u00xx` in lowercase hex, everything else literal). A
 *   lone surrogate (in a value or a key) is a typed error, never replaced.
 * - No whitespace; the result is UTF-8 (§3.2.4).
 *
 * Anything else — undefined (also as an array hole or a member value),
 * bigint, symbols, functions, class instances such as Date or Uint8Array — is
 * a typed error rather than silently dropped or coerced, because a canonical
 * form must not depend on what `JSON.stringify` happens to skip.
 *
 * Limits: containers nest at most `depthMax` deep (default 256; the root
 * object or array is depth 1), which also stops cycles. Recursion is bounded
 * by that depth. Output size is the caller's to bound (it owns the input).
 */
import { CanonicalEncodingError, type CanonicalEncodingProblem } from './CanonicalEncodingError.ts';

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export const JCS_DEPTH_MAX = 256;

export interface JcsOptions {
  /** The deepest container nesting accepted (root = 1). Default `JCS_DEPTH_MAX`. */
  readonly depthMax?: number;
}

const encoder = new TextEncoder();

/** The canonical JSON text of `value` (RFC 8785). */
export function canonicalJson(value: JsonValue, options: JcsOptions = {}): string {
  const out: string[] = [];
  const writer = new JcsWriter(out, options.depthMax ?? JCS_DEPTH_MAX);
  writer.write(value, 0);
  return out.join('');
}

/** The canonical JSON of `value` as UTF-8 bytes — what is hashed or signed. */
export function canonicalJsonBytes(value: JsonValue, options: JcsOptions = {}): Uint8Array {
  return encoder.encode(canonicalJson(value, options));
}

class JcsWriter {
  readonly #out: string[];
  readonly #depthMax: number;
  /** Path segments of the value being written, for error messages only. */
  readonly #path: (string | number)[] = [];

  constructor(out: string[], depthMax: number) {
    this.#out = out;
    this.#depthMax = depthMax;
  }

  write(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.#out.push(this.#quote(value));
        return;
      case 'number':
        if (!Number.isFinite(value)) this.#fail('non-finite-number', `${value} has no JSON form`);
        this.#out.push(JSON.stringify(value)); // ES Number::toString; -0 → "0"
        return;
      case 'boolean':
        this.#out.push(value ? 'true' : 'false');
        return;
      case 'object':
        if (value === null) {
          this.#out.push('null');
          return;
        }
        if (depth >= this.#depthMax) this.#fail('depth', `nested deeper than ${this.#depthMax}`);
        if (Array.isArray(value)) {
          this.#writeArray(value, depth + 1);
          return;
        }
        if (isPlainObject(value)) {
          this.#writeObject(value, depth + 1);
          return;
        }
        this.#fail('unsupported-type', `a ${describeObject(value)} is not JSON data`);
        return;
      default:
        this.#fail('unsupported-type', `${typeof value} is not JSON data`);
    }
  }

  #writeArray(array: readonly unknown[], depth: number): void {
    this.#out.push('[');
    for (let i = 0; i < array.length; i++) {
      if (i > 0) this.#out.push(',');
      this.#path.push(i);
      this.write(array[i], depth);
      this.#path.pop();
    }
    this.#out.push(']');
  }

  #writeObject(object: Readonly<Record<string, unknown>>, depth: number): void {
    const keys = Object.keys(object).sort(); // UTF-16 code unit order, RFC 8785 §3.2.3
    this.#out.push('{');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (i > 0) this.#out.push(',');
      this.#path.push(key);
      this.#out.push(this.#quote(key), ':');
      this.write(object[key], depth);
      this.#path.pop();
    }
    this.#out.push('}');
  }

  #quote(text: string): string {
    if (!text.isWellFormed()) this.#fail('lone-surrogate', 'string has a lone surrogate (not valid Unicode)');
    return JSON.stringify(text);
  }

  #fail(problem: CanonicalEncodingProblem, message: string): never {
    throw new CanonicalEncodingError(problem, formatPath(this.#path), message);
  }
}

function isPlainObject(value: object): value is Readonly<Record<string, unknown>> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describeObject(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : 'non-plain object';
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `a.b[2]["odd key"]` */
export function formatPath(segments: readonly (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment.isWellFormed() ? segment : segment.toWellFormed())}]`;
  }
  return path;
}
