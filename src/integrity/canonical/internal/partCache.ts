/**
 * The canonical bytes of the last resource and of the last scope a
 * projection writer wrote, with a snapshot of what they were written from.
 * Records of one batch (and every record of an in-process application)
 * share their resource and scope, which are often most of a record's
 * projection (an SDK's default resource alone has 4–10 attributes), so the
 * writer copies the bytes instead of writing them again — but only when the
 * snapshot proves the value is the same: every attribute's key and value
 * (`Object.is`, so 0 and -0 differ) and every scalar field. A part with a
 * value that is not a primitive (an array, kvlist or bytes value) is not
 * cached; neither is one over `PART_BYTES_CACHED_MAX`. The snapshot holds
 * the very keys and values the writer read to write the bytes (`written`),
 * never a second read: a getter or a Proxy that answered differently the
 * second time would have named a value the bytes do not hold, and a later,
 * plain record with that value would have been given them (a wrong hash).
 * The measured gain is next to its use in projectionWriter.ts.
 */
import type { KeyValue } from '../../../record/AnyValue.ts';

/** Larger parts are written every time (no copy of them is kept). */
export const PART_BYTES_CACHED_MAX = 16 * 1024;

type Primitive = string | number | boolean | bigint | null | undefined;

export interface CachedPart {
  /** The scalar fields (in the caller's order), then the attribute count, then key, value, key, value... */
  readonly snapshot: readonly Primitive[];
  readonly bytes: Uint8Array;
}

/** True when `fields` and `attributes` are exactly what `part` was written from. */
export function sameAsCached(
  part: CachedPart | undefined,
  f0: unknown,
  f1: unknown,
  f2: unknown,
  f3: unknown,
  attributes: readonly KeyValue[],
): part is CachedPart {
  if (part === undefined) return false;
  const s = part.snapshot;
  if (!Object.is(s[0], f0) || !Object.is(s[1], f1) || !Object.is(s[2], f2) || !Object.is(s[3], f3))
    return false;
  if (!Array.isArray(attributes) || s[4] !== attributes.length) return false;
  for (let i = 0, at = 5; i < attributes.length; i++, at += 2) {
    const kv = attributes[i] as unknown;
    if (typeof kv !== 'object' || kv === null) return false;
    const { key, value } = kv as KeyValue;
    if (key !== s[at] || !Object.is(value, s[at + 1])) return false;
  }
  return true;
}

/**
 * A snapshot of what a part was written from, or undefined when it cannot be cached (a value that is
 * not a primitive). `written`: key, value, key, value... of the attributes exactly as the writer read
 * them to write the part (the same reads). Called only after the part was written without error.
 */
export function cachePart(
  f0: unknown,
  f1: unknown,
  f2: unknown,
  f3: unknown,
  written: readonly unknown[],
  bytes: () => Uint8Array,
  byteCount: number,
): CachedPart | undefined {
  if (byteCount > PART_BYTES_CACHED_MAX) return undefined;
  const snapshot: Primitive[] = [
    f0 as Primitive,
    f1 as Primitive,
    f2 as Primitive,
    f3 as Primitive,
    written.length / 2,
  ];
  for (let i = 1; i < written.length; i += 2) {
    const v = written[i];
    if (typeof v === 'object' && v !== null) return undefined;
  }
  for (const x of written) snapshot.push(x as Primitive);
  return { snapshot, bytes: bytes() };
}
