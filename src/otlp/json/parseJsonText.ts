/**
 * Parses OTLP/JSON text safely:
 * 1. Bytes must be valid UTF-8 (a leading BOM is ignored).
 * 2. A linear pre-scan (no recursion) rejects nesting deeper than OTLP can
 *    use for the configured `anyValueDepthMax` — before `JSON.parse` and its
 *    reviver (which recurses) see it —, more objects and arrays than
 *    `elementCountMax`, and notices integer literals too long for a double
 *    to hold exactly.
 * 3. `JSON.parse`; only when such literals exist, a reviver that uses the
 *    literal's source text (ES2025 JSON.parse source access) to turn unsafe
 *    integers into exact `bigint`s, so `"intValue": 9223372036854775807`
 *    given as a number stays exact.
 */
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { DecodeLimitError } from '../../record/errors.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';

type Reviver = (key: string, value: unknown, context?: { readonly source?: string }) => unknown;
const parseWithReviver = JSON.parse as (text: string, reviver: Reviver) => unknown;
const INTEGER_LITERAL = /^-?\d+$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON nesting an OTLP request needs for AnyValues `anyValueDepth` deep: a
 * top-level attribute value sits 10 levels down (request, resourceLogs,
 * ResourceLogs, scopeLogs, ScopeLogs, logRecords, LogRecord, attributes,
 * KeyValue, AnyValue) and each kvlist level adds 4, plus 2 for the innermost
 * empty container.
 */
export function jsonDepthFor(anyValueDepth: number): number {
  return 8 + 4 * anyValueDepth;
}

export function parseJsonText(input: string | Uint8Array, limits: DecodeLimits): unknown {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = UTF8.decode(input);
    } catch (error) {
      throw new OtlpDecodeError('', 'input is not valid UTF-8', error);
    }
  }
  const depthMax = jsonDepthFor(limits.anyValueDepthMax);
  const hasLongIntegers = scan(text, depthMax, limits);
  try {
    if (!hasLongIntegers) return JSON.parse(text) as unknown;
    return parseWithReviver(text, (_key, value, context) =>
      typeof value === 'number' &&
      Number.isInteger(value) &&
      !Number.isSafeInteger(value) &&
      context?.source !== undefined &&
      INTEGER_LITERAL.test(context.source)
        ? BigInt(context.source)
        : value,
    );
  } catch (error) {
    throw new OtlpDecodeError(
      '',
      `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

/**
 * Checks nesting depth and the number of objects and arrays (`elementCountMax`: `JSON.parse` would
 * build them all) without recursion; true when a digit run of 16+ characters occurs outside strings.
 */
function scan(text: string, depthMax: number, limits: DecodeLimits): boolean {
  let depth = 0;
  let elements = 0;
  let digits = 0;
  let longDigits = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (++digits >= 16) longDigits = true;
      continue;
    }
    digits = 0;
    if (c === 0x22 /* " */) {
      i = stringEnd(text, i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++elements > limits.elementCountMax) {
        throw new DecodeLimitError(
          '',
          'elementCountMax',
          limits.elementCountMax,
          `more than ${limits.elementCountMax} JSON objects and arrays`,
        );
      }
      if (++depth > depthMax) {
        throw new DecodeLimitError(
          '',
          'anyValueDepthMax',
          limits.anyValueDepthMax,
          `JSON nested deeper than ${depthMax} levels`,
        );
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return longDigits;
}

/** Index of the closing quote of the string opening at `start` (or the end of the text). */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i === -1) return text.length;
    let backslashes = 0;
    for (let j = i - 1; text.charCodeAt(j) === 0x5c /* \ */; j--) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}
