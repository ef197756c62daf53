/**
 * Test helper: rewrites the footer of a sealed segment file in place, with a
 * valid CRC and the same trailer, as someone with write access to the files
 * could — recovery then trusts whatever it says (`verify: 'tail'`).
 */
import fs from 'node:fs';
import {
  buildFrame,
  checkFrame,
  decodeFooterPayload,
  decodeTrailer,
  encodeFooterPayload,
  FRAME_BYTES_LIMIT,
  FRAME_CRC_BYTES,
  FRAME_HEADER_BYTES,
  FrameType,
  sealFrame,
  TRAILER_BYTES,
  type SegmentFooter,
} from '../format.ts';

/** Replaces the footer of sealed segment `file` by `edit(footer)`, which must keep its index length. */
export function editFooter(file: string, edit: (f: SegmentFooter) => SegmentFooter): void {
  const b = fs.readFileSync(file);
  const at = decodeTrailer(b.subarray(b.length - TRAILER_BYTES));
  const r = at === undefined ? undefined : checkFrame(b, at, 0, FRAME_BYTES_LIMIT);
  if (at === undefined || !r?.ok || r.meta.type !== FrameType.FOOTER)
    throw new Error(`${file} is not sealed`);
  const footer = decodeFooterPayload(
    b.subarray(at + FRAME_HEADER_BYTES, at + r.meta.frameBytes - FRAME_CRC_BYTES),
  );
  if (typeof footer === 'string') throw new Error(`${file}: ${footer}`);
  const next = edit(footer);
  const frame = buildFrame(FrameType.FOOTER, r.meta.timeUnixNano, encodeFooterPayload(next));
  sealFrame(frame, Math.max(next.lastSeq, 0), 0);
  if (frame.length !== r.meta.frameBytes) throw new Error('the edited footer must keep its length');
  frame.copy(b, at);
  fs.writeFileSync(file, b);
}
