/**
 * What the WAL knows about one segment in memory: enough to find records by
 * sequence number or time without opening every file.
 */
import type { IndexEntry } from './format.ts';

export type SegmentState =
  /** has footer and trailer; immutable */
  | 'sealed'
  /** the writer's current segment */
  | 'active'
  /** left unsealed: damaged, or abandoned after a failed write or sync (readers bound it by `lastSeq`) */
  | 'unsealed';

export interface SegmentInfo {
  readonly name: string;
  readonly path: string;
  readonly firstSeq: number;
  segmentNumber: number;
  state: SegmentState;
  /** Last readable sequence number in this segment (firstSeq - 1 when none). */
  lastSeq: number;
  /** Offset after the last valid frame. */
  dataEnd: number;
  minTimeUnixNano: bigint;
  maxTimeUnixNano: bigint;
  index: IndexEntry[];
  /** Contains damaged regions: readers must resync past them. */
  damaged: boolean;
}

export function segmentOverlapsTime(
  s: SegmentInfo,
  fromNs: bigint | undefined,
  toNs: bigint | undefined,
): boolean {
  if (s.lastSeq < s.firstSeq) return false;
  if (fromNs !== undefined && s.maxTimeUnixNano < fromNs) return false;
  if (toNs !== undefined && s.minTimeUnixNano > toNs) return false;
  return true;
}
