/**
 * FrameScanner.findNextValid past a damaged frame larger than its chunk
 * buffer, with more frames after it: each byte of the file is read a bounded
 * number of times. It used to re-read a whole chunk (1 MiB) for every offset
 * within a chunk of its buffer's end (~1 TB read, 25 CPU-s, for this file).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  FRAME_BYTES_LIMIT,
  FRAME_FLAG_BATCH_START,
  FrameType,
  SEGMENT_HEADER_BYTES,
  sealFrame,
} from './format.ts';
import { FrameScanner } from './FrameScanner.ts';
import { memoryFile } from './testutil/memoryFile.ts';

describe('findNextValid past a damaged 2.5 MiB frame followed by 4 MiB of frames', () => {
  it('finds the next frame reading each byte a bounded number of times', () => {
    const frames = [
      buildFrame(FrameType.RECORD, 1n, randomBytes(2.5 * 1024 * 1024)),
      ...Array.from({ length: 32_000 }, () => buildFrame(FrameType.RECORD, 2n, randomBytes(100))),
    ];
    frames.forEach((f, i) => sealFrame(f, i + 1, FRAME_FLAG_BATCH_START));
    const bytes = Buffer.concat([Buffer.alloc(SEGMENT_HEADER_BYTES), ...frames]);
    bytes[SEGMENT_HEADER_BYTES + 1000] = (bytes[SEGMENT_HEADER_BYTES + 1000] ?? 0) ^ 1;
    const file = memoryFile(bytes, 8 * bytes.length);
    const scanner = new FrameScanner(file, FRAME_BYTES_LIMIT);
    const bad = scanner.at(SEGMENT_HEADER_BYTES);
    expect(bad).toMatchObject({ ok: false, reason: 'crc' });
    const next = scanner.findNextValid(SEGMENT_HEADER_BYTES + 1);
    expect(next?.ok && next.meta.seq).toBe(2);
    expect(file.readBytes()).toBeLessThanOrEqual(8 * bytes.length);
  });
});
