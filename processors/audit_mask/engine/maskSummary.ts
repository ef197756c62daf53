/**
 * The summary `audit_mask` leaves on a record it changed (never on one it did
 * not change): `audit.mask.count` (int: values masked), `audit.mask.types`
 * (array of detector names, sorted), with summary `debug` also
 * `audit.mask.keys` (array of the masked values' paths, e.g.
 * `attributes["user"]["email"]`, `body`; never the values; at most
 * `SUMMARY_PATHS_MAX`), and `audit.mask.unscanned_bytes` (int) when the scan
 * budget ran out. A summary already on the record (an earlier `audit_mask`
 * in the pipeline) is added to, not replaced. These attributes are never
 * masked themselves.
 */
import type { AnyValue } from '../../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../../src/record/MutableLogRecordView.ts';
import type { MaskTally } from './MaskTally.ts';

export const MASK_COUNT = 'audit.mask.count';
export const MASK_TYPES = 'audit.mask.types';
export const MASK_KEYS = 'audit.mask.keys';
export const MASK_UNSCANNED_BYTES = 'audit.mask.unscanned_bytes';
export const SUMMARY_PREFIX = 'audit.mask.';
export const SUMMARY_PATHS_MAX = 256;

/**
 * `present`: the record may already have summary attributes; false (known
 * absent) skips reading them: four linear attribute lookups per record.
 */
export function writeMaskSummary(
  record: MutableLogRecordView,
  tally: MaskTally,
  unscannedBytes: number,
  present = true,
): void {
  record.setAttribute(MASK_COUNT, added(present ? record.getAttribute(MASK_COUNT) : undefined, tally.count));
  record.setAttribute(MASK_TYPES, union(present ? record.getAttribute(MASK_TYPES) : undefined, tally.types));
  if (tally.paths !== undefined) {
    const existing = present ? record.getAttribute(MASK_KEYS) : undefined;
    record.setAttribute(MASK_KEYS, union(existing, tally.paths).slice(0, SUMMARY_PATHS_MAX));
  }
  if (unscannedBytes > 0) {
    const existing = present ? record.getAttribute(MASK_UNSCANNED_BYTES) : undefined;
    record.setAttribute(MASK_UNSCANNED_BYTES, added(existing, unscannedBytes));
  }
}

/** Small counts as bigints, made once (a BigInt per summary was an allocation per record). */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** `existing` (when an int, else 0) plus `n`. */
function added(existing: AnyValue | undefined, n: number): bigint {
  if (typeof existing === 'bigint') return existing + BigInt(n);
  return SMALL_BIGINTS[n] ?? BigInt(n);
}

/** The names of `existing` (when an array) and `added` (an array is taken over and sorted), each once, sorted. */
function union(existing: AnyValue | undefined, added: Iterable<string>): string[] {
  if (!Array.isArray(existing)) return sortNames(Array.isArray(added) ? added : [...added]);
  const all = new Set<string>(added);
  for (const v of existing) if (typeof v === 'string') all.add(v);
  return sortNames([...all]);
}

const INSERTION_SORT_MAX = 16;

/**
 * Sorts distinct strings in place in code-unit order, as `Array.prototype.sort()`
 * does. Up to INSERTION_SORT_MAX names (the usual summary: one to three
 * detector names) by insertion sort: V8's sort allocated ~470 bytes per
 * bench record here (heap sampling, bench/lib/piiEvents.ts records).
 */
function sortNames(names: string[]): string[] {
  if (names.length > INSERTION_SORT_MAX) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i] as string;
    let j = i - 1;
    for (; j >= 0 && (names[j] as string) > name; j--) names[j + 1] = names[j] as string;
    names[j + 1] = name;
  }
  return names;
}
