import {
  checkFrame,
  FRAME_BYTES_LIMIT,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  FrameType,
  SEGMENT_HEADER_BYTES,
} from '../format.ts';

export interface FrameLocation {
  readonly seq: number;
  readonly offset: number;
  readonly frameBytes: number;
}

/** Locations of the valid record frames of a segment's bytes, in file order, stopping at the first bad frame or footer. */
export function frameLocations(bytes: Uint8Array): FrameLocation[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: FrameLocation[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  for (;;) {
    const r = checkFrame(b, pos, 0, FRAME_BYTES_LIMIT);
    if (!r.ok || r.meta.type === FrameType.FOOTER) return out;
    out.push({ seq: r.meta.seq, offset: pos, frameBytes: r.meta.frameBytes });
    pos += r.meta.frameBytes;
  }
}

/** Deterministic payload for a sequence number (self-identifying, varied length). */
export function payloadFor(tag: string, n: number): Buffer {
  const len = (n * 37) % 300;
  return Buffer.from(`${tag}:${n}:`.padEnd(12 + len, String.fromCharCode(97 + (n % 26))));
}

/** Frames with room for header and CRC around each payload, laid out one after another in one block (adjacent in memory). */
export function framesInBlock(payloads: readonly Buffer[]): Buffer[] {
  const total = payloads.reduce((n, p) => n + p.length + FRAME_OVERHEAD_BYTES, 0);
  const block = Buffer.alloc(total, 0xee);
  const frames: Buffer[] = [];
  let at = 0;
  for (const p of payloads) {
    const f = block.subarray(at, at + p.length + FRAME_OVERHEAD_BYTES);
    p.copy(f, FRAME_HEADER_BYTES);
    frames.push(f);
    at += f.length;
  }
  return frames;
}
