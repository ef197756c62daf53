/**
 * Limits for decoding untrusted input (OTLP protobuf, OTLP/JSON, WAL
 * payloads). Every decoder checks them while it reads — the protobuf decoder
 * in its wire scan, before a single object is built; the JSON decoder in its
 * text scan, before `JSON.parse` — and a violation throws `DecodeLimitError`
 * naming the limit and the path. Recursion is bounded by `anyValueDepthMax`.
 *
 * Memory is NOT bounded by the input size alone: a decoded element costs far
 * more heap than its bytes on the wire (an empty `resourceLogs` entry is 2
 * bytes and ~95 bytes of objects; 20 MiB of them took ~1 GB of heap). What
 * bounds it is `elementCountMax` (messages, or JSON objects and arrays, in
 * one input: at most ~100–500 bytes of heap each while decoding) together
 * with the caller's bound on the input size (strings cost about their byte
 * length). `elementCountMax` is unbounded by default so that stored records
 * (WAL payloads, written without that limit) always decode again: callers
 * decoding untrusted input must set it; the `otlp` receiver does
 * (`limits::max_elements_per_request`).
 */
import { OtelAuditError } from '../errors.ts';
import { ANY_VALUE_DEPTH_CEILING } from './AnyValue.ts';

export interface DecodeLimits {
  /** Log records in one request / payload. */
  readonly recordCountMax: number;
  /** Entries in one attribute list (a record's, a resource's or a scope's). */
  readonly attributeCountMax: number;
  /** Elements of one `arrayValue` or entries of one `kvlistValue`. */
  readonly arrayLengthMax: number;
  /** AnyValue nesting depth (a scalar has depth 1); at most ANY_VALUE_DEPTH_CEILING (32). */
  readonly anyValueDepthMax: number;
  /** UTF-8 bytes of any one string (values, keys, names, severity text, schema URLs...). */
  readonly stringBytesMax: number;
  /** Length of one `bytesValue`. */
  readonly bytesLengthMax: number;
  /**
   * Elements in one input: every protobuf message occurrence (a resourceLogs / scopeLogs entry, a
   * record, a KeyValue, an AnyValue...), or every JSON object and array. Bounds decoding memory.
   */
  readonly elementCountMax: number;
}

export type DecodeLimitName = keyof DecodeLimits;

/** Limits objects already checked (and frozen), returned as they are. */
const RESOLVED = new WeakSet<object>();

const MIB = 1024 * 1024;

/**
 * Defaults: generous for real audit traffic, bounded for hostile input — except `elementCountMax`
 * (unbounded, see above: set it for untrusted input).
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  recordCountMax: 100_000,
  attributeCountMax: 1_024,
  arrayLengthMax: 65_536,
  anyValueDepthMax: ANY_VALUE_DEPTH_CEILING,
  stringBytesMax: 4 * MIB,
  bytesLengthMax: 4 * MIB,
  elementCountMax: Infinity,
});
RESOLVED.add(DEFAULT_DECODE_LIMITS);

/**
 * Completes `limits` with the defaults and checks them: only known names;
 * every limit is a non-negative integer (or Infinity); `anyValueDepthMax` is 1..32.
 */
export function resolveDecodeLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  if (limits === undefined) return DEFAULT_DECODE_LIMITS;
  if (RESOLVED.has(limits)) return limits as DecodeLimits;
  for (const name of Object.keys(limits)) {
    if (!Object.hasOwn(DEFAULT_DECODE_LIMITS, name)) {
      throw new OtelAuditError('INVALID_ARGUMENT', `DecodeLimits has no limit named '${name}'`);
    }
  }
  const resolved: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...stripUndefined(limits) };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !(Number.isSafeInteger(value) || value === Infinity) || value < 0) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `DecodeLimits.${name} must be a non-negative integer, got ${String(value)}`,
      );
    }
  }
  if (resolved.anyValueDepthMax < 1 || resolved.anyValueDepthMax > ANY_VALUE_DEPTH_CEILING) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `DecodeLimits.anyValueDepthMax must be 1..${ANY_VALUE_DEPTH_CEILING}, got ${resolved.anyValueDepthMax}`,
    );
  }
  Object.freeze(resolved);
  RESOLVED.add(resolved);
  return resolved;
}

function stripUndefined(limits: Partial<DecodeLimits>): Partial<DecodeLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}
