/**
 * Limits for decoding untrusted input (OTLP protobuf, OTLP/JSON, WAL
 * payloads). Every decoder checks them while it reads — the protobuf decoder
 * before a single object is built — and a violation throws `DecodeLimitError`
 * naming the limit and the path. The size of the input itself is the
 * caller's to bound (the receiver's request-body maximum); with these limits
 * and that bound, memory and recursion are bounded.
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
}

export type DecodeLimitName = keyof DecodeLimits;

/** Limits objects already checked (and frozen), returned as they are. */
const RESOLVED = new WeakSet<object>();

const MIB = 1024 * 1024;

/** Defaults for untrusted input: generous for real audit traffic, bounded for hostile input. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  recordCountMax: 100_000,
  attributeCountMax: 1_024,
  arrayLengthMax: 65_536,
  anyValueDepthMax: ANY_VALUE_DEPTH_CEILING,
  stringBytesMax: 4 * MIB,
  bytesLengthMax: 4 * MIB,
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
