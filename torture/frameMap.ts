/**
 * Where every frame of a (clean) WAL directory lies on the simulated disk:
 * per segment file, the header, each frame's byte extent, sequence number,
 * type and BATCH_START flag, and the footer. Corruption scenarios take this
 * map BEFORE they damage the medium, to know which frames the damage hit.
 */
import path from 'node:path';
import {
  checkFrame,
  FRAME_BYTES_LIMIT,
  FRAME_FLAG_BATCH_START,
  FrameType,
  SEGMENT_FILE_PATTERN,
  SEGMENT_HEADER_BYTES,
} from '../src/wal/format.ts';
import type { SimDisk } from '../src/wal/fs/SimDisk.ts';

export interface FrameExtent {
  readonly seq: number;
  readonly type: number;
  readonly batchStart: boolean;
  readonly offset: number;
  readonly end: number;
}

export interface SegmentLayout {
  readonly name: string;
  readonly path: string;
  readonly firstSeq: number;
  /** File size when mapped. */
  readonly size: number;
  /** Record and checkpoint frames, in file order (the walk stops at the first invalid frame). */
  readonly frames: readonly FrameExtent[];
  /** The footer frame, when the segment is sealed. */
  readonly footer: FrameExtent | undefined;
  /** The bytes when mapped (to tell afterwards which bytes damage changed). */
  readonly bytes: Uint8Array;
}

/** Segments of `dir` in sequence order, mapped from their current bytes. */
export function mapWal(disk: SimDisk, dir: string): SegmentLayout[] {
  const out: SegmentLayout[] = [];
  for (const name of disk.readDir(dir).sort()) {
    const m = SEGMENT_FILE_PATTERN.exec(name);
    if (!m?.[1]) continue;
    const p = path.posix.join(dir, name);
    const bytes = disk.fileBytes(p);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const frames: FrameExtent[] = [];
    let footer: FrameExtent | undefined;
    for (let pos = SEGMENT_HEADER_BYTES; pos < buf.length;) {
      const r = checkFrame(buf, pos, 0, FRAME_BYTES_LIMIT);
      if (!r.ok) break;
      const f: FrameExtent = {
        seq: r.meta.seq,
        type: r.meta.type,
        batchStart: (r.meta.flags & FRAME_FLAG_BATCH_START) !== 0,
        offset: pos,
        end: pos + r.meta.frameBytes,
      };
      if (f.type === FrameType.FOOTER) {
        footer = f;
        break;
      }
      frames.push(f);
      pos = f.end;
    }
    out.push({ name, path: p, firstSeq: Number(m[1]), size: bytes.length, frames, footer, bytes });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}
