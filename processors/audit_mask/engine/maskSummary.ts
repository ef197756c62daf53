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

export function writeMaskSummary(
  record: MutableLogRecordView,
  tally: MaskTally,
  unscannedBytes: number,
): void {
  record.setAttribute(MASK_COUNT, asInt(record.getAttribute(MASK_COUNT)) + BigInt(tally.count));
  record.setAttribute(MASK_TYPES, union(record.getAttribute(MASK_TYPES), tally.types));
  if (tally.paths !== undefined) {
    record.setAttribute(
      MASK_KEYS,
      union(record.getAttribute(MASK_KEYS), tally.paths).slice(0, SUMMARY_PATHS_MAX),
    );
  }
  if (unscannedBytes > 0) {
    record.setAttribute(
      MASK_UNSCANNED_BYTES,
      asInt(record.getAttribute(MASK_UNSCANNED_BYTES)) + BigInt(unscannedBytes),
    );
  }
}

function asInt(value: AnyValue | undefined): bigint {
  return typeof value === 'bigint' ? value : 0n;
}

function union(existing: AnyValue | undefined, added: Iterable<string>): string[] {
  if (!Array.isArray(existing)) return [...added].sort();
  const all = new Set<string>(added);
  for (const v of existing) if (typeof v === 'string') all.add(v);
  return [...all].sort();
}
