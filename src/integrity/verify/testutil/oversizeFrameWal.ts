/**
 * A WAL segment for tests holding, between ordinary record frames, one
 * record frame with a VALID CRC whose length field claims `frameBytes`
 * (e.g. more than the largest frame a WAL writer writes). Its payload is
 * zeros left as a hole of a sparse file and its CRC is computed over 1 MiB
 * chunks: the test allocates ~1 MiB whatever the size claimed.
 */
import { crc32c } from '@node-rs/crc32';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildFrame,
  encodeSegmentHeader,
  FRAME_CRC_BYTES,
  FRAME_FLAG_BATCH_START,
  FRAME_HEADER_BYTES,
  FrameType,
  SEGMENT_HEADER_BYTES,
  sealFrame,
  segmentFileName,
} from '../../../wal/format.ts';

export interface OversizeFrameWal {
  /** File offset of the oversize frame in its segment. */
  readonly offset: number;
  /** Its WAL sequence number (the frames are numbered 1, 2, ... in order). */
  readonly seq: number;
  /** The segment's file name. */
  readonly segment: string;
}

/** A frame to write around the oversize one: a record payload, or a payload of another type. */
export type FrameSpec = Uint8Array | { readonly type: number; readonly payload: Uint8Array };

/** Writes `dir`/00000000000000000001.wal: the `before` frames, the oversize frame, the `after` frames. */
export function writeOversizeFrameWal(
  dir: string,
  o: { before: readonly FrameSpec[]; frameBytes: number; after: readonly FrameSpec[] },
): OversizeFrameWal {
  fs.mkdirSync(dir, { recursive: true });
  const segment = segmentFileName(1);
  const fd = fs.openSync(path.join(dir, segment), 'wx');
  try {
    const header = encodeSegmentHeader({
      formatVersion: 1,
      segmentNumber: 1,
      firstSeq: 1,
      createdUnixNano: 1n,
      segmentBytesMax: 4 * 1024 * 1024 * 1024,
      prevChainHash: new Uint8Array(32),
    });
    fs.writeSync(fd, header, 0, header.length, 0);
    let pos = SEGMENT_HEADER_BYTES;
    let seq = 1;
    const write = (spec: FrameSpec): void => {
      const { type, payload } = spec instanceof Uint8Array ? { type: FrameType.RECORD, payload: spec } : spec;
      const frame = buildFrame(type, 1_000n, payload);
      sealFrame(frame, seq++, FRAME_FLAG_BATCH_START);
      fs.writeSync(fd, frame, 0, frame.length, pos);
      pos += frame.length;
    };
    for (const p of o.before) write(p);
    const offset = pos;
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    head.writeUInt32LE(o.frameBytes, 0);
    head[4] = FrameType.RECORD;
    head[5] = FRAME_FLAG_BATCH_START;
    head.writeBigUInt64LE(BigInt(seq), 8);
    head.writeBigInt64LE(1_000n, 16);
    let crc = crc32c(head);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let left = o.frameBytes - FRAME_HEADER_BYTES - FRAME_CRC_BYTES; left > 0; left -= zeros.length) {
      crc = crc32c(left >= zeros.length ? zeros : zeros.subarray(0, left), crc);
    }
    const tail = Buffer.alloc(FRAME_CRC_BYTES);
    tail.writeUInt32LE(crc, 0);
    fs.writeSync(fd, head, 0, head.length, offset);
    fs.writeSync(fd, tail, 0, tail.length, offset + o.frameBytes - FRAME_CRC_BYTES);
    const oversizeSeq = seq++;
    pos = offset + o.frameBytes;
    for (const p of o.after) write(p);
    return { offset, seq: oversizeSeq, segment };
  } finally {
    fs.closeSync(fd);
  }
}
