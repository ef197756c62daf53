/**
 * FrameScanner's three ways of reading a frame (`at`: whole, `check`: CRC a
 * chunk at a time for a frame larger than a chunk, `read`: either, as `keep`
 * decides) give the same verdict as `checkFrame` over the whole file, for
 * every header byte, CRC byte and many payload bytes of a 2.5 MiB frame
 * changed, for lengths that run past the file, and for a CRC-valid frame
 * whose sequence number is out of range.
 */
import { crc32c } from '@node-rs/crc32';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  checkFrame,
  FRAME_BYTES_LIMIT,
  FRAME_CRC_BYTES,
  FRAME_FLAG_BATCH_START,
  FRAME_HEADER_BYTES,
  FrameType,
  SEGMENT_HEADER_BYTES,
  sealFrame,
} from './format.ts';
import { FrameScanner } from './FrameScanner.ts';
import { memoryFile } from './testutil/memoryFile.ts';

const LARGE_PAYLOAD_BYTES = 2.5 * 1024 * 1024;

/** A segment's bytes: header room, a small record, the large record at `largeAt`, a small checkpoint. */
function segment(): { bytes: Buffer; largeAt: number; largeBytes: number } {
  const frames = [
    buildFrame(FrameType.RECORD, 1n, Buffer.from('small')),
    buildFrame(FrameType.RECORD, 2n, randomBytes(LARGE_PAYLOAD_BYTES)),
    buildFrame(FrameType.CHECKPOINT, 3n, Buffer.from('cp')),
  ];
  frames.forEach((f, i) => sealFrame(f, i + 1, FRAME_FLAG_BATCH_START));
  const bytes = Buffer.concat([Buffer.alloc(SEGMENT_HEADER_BYTES), ...frames]);
  const largeAt = SEGMENT_HEADER_BYTES + (frames[0]?.length ?? 0);
  return { bytes, largeAt, largeBytes: frames[1]?.length ?? 0 };
}

/** checkFrame over the whole file, as FrameScanner reports it. */
function expected(bytes: Buffer, at: number): { ok: boolean; reason?: string; seq?: number } {
  const r = checkFrame(bytes, at, 0, FRAME_BYTES_LIMIT);
  if (r.ok) return { ok: true, seq: r.meta.seq };
  return { ok: false, reason: r.reason === 'eof' ? 'length' : r.reason };
}

function verdicts(bytes: Buffer, at: number): Array<{ ok: boolean; reason?: string; seq?: number }> {
  const scanner = (): FrameScanner => new FrameScanner(memoryFile(bytes), FRAME_BYTES_LIMIT);
  const results = [
    scanner().at(at),
    scanner().check(at),
    scanner().read(at, bytes.length, () => true),
    scanner().read(at, bytes.length, () => false),
  ];
  return results.map((r) => (r.ok ? { ok: true, seq: r.meta.seq } : { ok: false, reason: r.reason }));
}

describe('FrameScanner on a frame larger than its chunk', () => {
  const { bytes, largeAt, largeBytes } = segment();

  it('reads it whole with at/read-keep (payload detached) and checks it without keeping it with check/read-skip', () => {
    const s = new FrameScanner(memoryFile(bytes), FRAME_BYTES_LIMIT);
    const whole = s.at(largeAt);
    expect(whole.ok && whole.detached).toBe(true);
    expect(
      whole.ok &&
        whole.payload.equals(bytes.subarray(largeAt + FRAME_HEADER_BYTES, largeAt + largeBytes - 4)),
    ).toBe(true);
    const small = s.at(SEGMENT_HEADER_BYTES);
    expect(small.ok && !small.detached && small.payload.toString()).toBe('small');
    const checked = s.read(largeAt, bytes.length, (h) => h.type === FrameType.CHECKPOINT);
    expect(checked).toEqual({ ok: true, meta: expect.objectContaining({ seq: 2, frameBytes: largeBytes }) });
    expect('payload' in checked).toBe(false);
  });

  it('gives checkFrame-over-the-whole-file verdicts for every header and CRC byte and many payload bytes changed', () => {
    const positions = [
      ...Array.from({ length: FRAME_HEADER_BYTES }, (_, i) => largeAt + i),
      ...Array.from({ length: FRAME_CRC_BYTES }, (_, i) => largeAt + largeBytes - FRAME_CRC_BYTES + i),
      ...Array.from(
        { length: 40 },
        () => largeAt + FRAME_HEADER_BYTES + Math.floor(Math.random() * LARGE_PAYLOAD_BYTES),
      ),
    ];
    let failures = 0;
    for (const p of positions) {
      for (const xor of [0x01, 0x80, 0xff]) {
        const damaged = Buffer.from(bytes);
        damaged[p] = (damaged[p] ?? 0) ^ xor;
        const want = expected(damaged, largeAt);
        if (!want.ok) failures++;
        for (const got of verdicts(damaged, largeAt)) expect({ p, xor, got }).toEqual({ p, xor, got: want });
      }
    }
    // Every change is damage (the length field's changes included), never a valid frame.
    expect(failures).toBe(positions.length * 3);
  });

  it('reports a length running past the file, or a truncated file, as checkFrame does', () => {
    for (const cut of [largeAt + FRAME_HEADER_BYTES + 10, largeAt + largeBytes - 1]) {
      const truncated = bytes.subarray(0, cut);
      const want = expected(truncated, largeAt);
      expect(want).toEqual({ ok: false, reason: 'length' });
      for (const got of verdicts(truncated, largeAt)) expect(got).toEqual(want);
    }
  });

  it('reports a CRC-valid frame with a sequence number beyond 2^53 - 1 as a header failure, in every way', () => {
    const odd = Buffer.from(bytes);
    odd.writeBigUInt64LE(2n ** 60n, largeAt + 8);
    const end = largeAt + largeBytes - FRAME_CRC_BYTES;
    odd.writeUInt32LE(crc32c(odd.subarray(largeAt, end)), end);
    expect(expected(odd, largeAt)).toEqual({ ok: false, reason: 'header' });
    for (const got of verdicts(odd, largeAt)) expect(got).toEqual({ ok: false, reason: 'header' });
  });

  it('never returns header fields the CRC did not cover, even if the header reads differently the second time', () => {
    // The same frame sealed as a CHECKPOINT: valid on its own, with another type and CRC.
    const changed = Buffer.from(bytes);
    changed[largeAt + 4] = FrameType.CHECKPOINT;
    const end = largeAt + largeBytes - FRAME_CRC_BYTES;
    changed.writeUInt32LE(crc32c(changed.subarray(largeAt, end)), end);
    expect(checkFrame(changed, largeAt, 0, FRAME_BYTES_LIMIT)).toMatchObject({ ok: true });
    // The first read (from the small frame before, taking in the large frame's header) sees the
    // original bytes, every later read the changed ones.
    let reads = 0;
    const first = memoryFile(bytes);
    const later = memoryFile(changed);
    const file = {
      ...first,
      read: (b: Uint8Array, o: number, l: number, p: number) =>
        (reads++ === 0 ? first : later).read(b, o, l, p),
    };
    const s = new FrameScanner(file, FRAME_BYTES_LIMIT);
    expect(s.at(SEGMENT_HEADER_BYTES)).toMatchObject({ ok: true });
    expect(s.check(largeAt)).toEqual({ ok: false, offset: largeAt, reason: 'crc' });
  });

  it('reading a large frame whole returns the payload of the frame it checked, even if its length reads differently the second time', () => {
    // The second read finds a shorter valid frame at the same offset (a file changing under a
    // read-only reader): the payload must end where that frame's CRC does, not at the first length.
    const shorter = buildFrame(FrameType.RECORD, 2n, randomBytes(1.5 * 1024 * 1024));
    sealFrame(shorter, 2, FRAME_FLAG_BATCH_START);
    const changed = Buffer.from(bytes);
    shorter.copy(changed, largeAt);
    let reads = 0;
    const first = memoryFile(bytes);
    const later = memoryFile(changed);
    const file = {
      ...first,
      read: (b: Uint8Array, o: number, l: number, p: number) =>
        (reads++ === 0 ? first : later).read(b, o, l, p),
    };
    for (const read of [
      (s: FrameScanner) => s.at(largeAt),
      (s: FrameScanner) => s.read(largeAt, bytes.length, () => true),
    ]) {
      reads = 0;
      const s = new FrameScanner(file, FRAME_BYTES_LIMIT);
      expect(s.at(SEGMENT_HEADER_BYTES)).toMatchObject({ ok: true });
      const r = read(s);
      expect(r.ok && r.meta.frameBytes).toBe(shorter.length);
      const payload = r.ok ? r.payload : undefined;
      expect(payload?.length).toBe(shorter.length - FRAME_HEADER_BYTES - FRAME_CRC_BYTES);
      expect(payload?.equals(shorter.subarray(FRAME_HEADER_BYTES, shorter.length - FRAME_CRC_BYTES))).toBe(
        true,
      );
    }
  });

  it('findNextValid from inside a damaged large frame finds the next frame, as before', () => {
    const damaged = Buffer.from(bytes);
    damaged[largeAt + 1000] = (damaged[largeAt + 1000] ?? 0) ^ 1;
    const s = new FrameScanner(memoryFile(damaged), FRAME_BYTES_LIMIT);
    const next = s.findNextValid(largeAt + 1);
    expect(next?.ok && next.meta.seq).toBe(3);
  });
});
