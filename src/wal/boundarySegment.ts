/**
 * An empty, sealed segment written by recovery after an accepted loss of
 * records below the high-water mark (recover.ts): it is the newest segment
 * from then on, so the damaged or short segment before it is judged at every
 * later open as an older one — its loss reported as corruption, a gap before
 * the boundary as `missing-segment` — not refused again. The writer's next
 * segment has the same name (its first sequence number) and replaces it by
 * rename, as it replaces the boundary kept for a damaged older segment.
 *
 * Created like any segment: `<name>.tmp` (O_EXCL) with the header, sealed
 * (footer + trailer, fdatasync), renamed into place, directory fsynced.
 */
import path from 'node:path';
import type { FileSystem } from './fs/FileSystem.ts';
import { encodeSegmentHeader, FORMAT_VERSION, SEGMENT_HEADER_BYTES, segmentFileName } from './format.ts';
import { sealSegmentFile } from './seal.ts';
import type { SegmentInfo } from './SegmentInfo.ts';

export interface BoundarySegmentOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly firstSeq: number;
  readonly segmentNumber: number;
  readonly segmentBytesMax: number;
  readonly createdUnixNano: bigint;
}

export function createBoundarySegment(o: BoundarySegmentOptions): SegmentInfo {
  const name = segmentFileName(o.firstSeq);
  const finalPath = path.join(o.dir, name);
  const tmp = `${finalPath}.tmp`;
  if (o.fs.exists(tmp)) o.fs.remove(tmp);
  const info: SegmentInfo = {
    name,
    path: finalPath,
    firstSeq: o.firstSeq,
    segmentNumber: o.segmentNumber,
    state: 'unsealed',
    lastSeq: o.firstSeq - 1,
    dataEnd: SEGMENT_HEADER_BYTES,
    minTimeUnixNano: 0n,
    maxTimeUnixNano: 0n,
    index: [],
    damaged: false,
  };
  const file = o.fs.open(tmp, 'create');
  try {
    file.write(
      encodeSegmentHeader({
        formatVersion: FORMAT_VERSION,
        segmentNumber: o.segmentNumber,
        firstSeq: o.firstSeq,
        createdUnixNano: o.createdUnixNano,
        segmentBytesMax: o.segmentBytesMax,
        prevChainHash: new Uint8Array(32),
      }),
      0,
    );
    sealSegmentFile(file, info);
  } finally {
    file.close();
  }
  o.fs.rename(tmp, finalPath);
  o.fs.syncDir(o.dir);
  return info;
}
