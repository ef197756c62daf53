/**
 * Sealing: append a FOOTER frame and a trailer after the last valid frame,
 * cut the file there, and sync. Used at rollover and by recovery.
 */
import { WalSyncFailedError } from '../errors.ts';
import type { FileHandle } from './fs/FileSystem.ts';
import {
  buildFrame,
  encodeFooterPayload,
  encodeTrailer,
  FrameType,
  sealFrame,
  type SegmentFooter,
} from './format.ts';
import type { SegmentInfo } from './SegmentInfo.ts';

export interface SealInput {
  readonly lastChainHash?: Uint8Array | undefined;
  readonly merkleRoot?: Uint8Array | undefined;
}

/** Writes footer and trailer at `seg.dataEnd`, truncates, and fsyncs synchronously. */
export function sealSegmentFile(file: FileHandle, seg: SegmentInfo, input: SealInput = {}): void {
  const footer: SegmentFooter = {
    recordCount: Math.max(0, seg.lastSeq - seg.firstSeq + 1),
    firstSeq: seg.firstSeq,
    lastSeq: seg.lastSeq,
    minTimeUnixNano: seg.minTimeUnixNano,
    maxTimeUnixNano: seg.maxTimeUnixNano,
    dataEndOffset: seg.dataEnd,
    lastChainHash: input.lastChainHash,
    merkleRoot: input.merkleRoot,
    index: seg.index,
  };
  const frame = buildFrame(FrameType.FOOTER, seg.maxTimeUnixNano, encodeFooterPayload(footer));
  sealFrame(frame, Math.max(seg.lastSeq, 0), 0);
  const out = Buffer.concat([frame, encodeTrailer(seg.dataEnd)]);
  // The frames first, then the footer: a footer on disk must imply that every frame before it is there
  // (recovery trusts a sealed segment whole). One sync for both could persist the footer and lose frames.
  syncOrThrow(file, seg.name);
  file.write(out, seg.dataEnd);
  file.truncate(seg.dataEnd + out.length);
  syncOrThrow(file, seg.name);
  seg.state = 'sealed';
}

/**
 * A failed sync is a `WalSyncFailedError` (the file's unsynced data is suspect), distinct from a failed write.
 * Named by the segment's file name: a segment's handles keep the path they were opened with, which for a
 * segment made from a preallocated file is its temporary name (`segment-<n>.prealloc`), gone since.
 */
function syncOrThrow(file: FileHandle, segmentName: string): void {
  try {
    file.datasyncSync();
  } catch (err) {
    throw new WalSyncFailedError(`fdatasync failed while sealing segment ${segmentName}`, err);
  }
}
