/**
 * Sealing: append a FOOTER frame and a trailer after the last valid frame,
 * cut the file there, and sync. Used at rollover and by recovery.
 */
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
  file.write(out, seg.dataEnd);
  file.truncate(seg.dataEnd + out.length);
  file.datasyncSync();
  seg.state = 'sealed';
}
