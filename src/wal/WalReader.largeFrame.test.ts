/**
 * Reading a WAL holding frames larger than the scanner's chunk buffer (1 MiB):
 * a pass filtered by frame type does not read the payload of a large frame of
 * another type into memory (it checks its CRC a chunk at a time), the record
 * pass returns a large payload in the buffer it was read into (no second
 * copy), and damage to a large frame of another type is reported exactly as
 * by an unfiltered pass. Bytes read are watched through a counting file
 * system; the 64 MiB frame is a hole of a sparse file with a valid CRC.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WalCorruptError } from '../errors.ts';
import {
  writeOversizeFrameWal,
  type OversizeFrameWal,
} from '../integrity/verify/testutil/oversizeFrameWal.ts';
import {
  buildFrame,
  FRAME_FLAG_BATCH_START,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  FrameType,
  SEGMENT_HEADER_BYTES,
  sealFrame,
} from './format.ts';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import { openWalReadOnly } from './readOnly.ts';
import { countingFileSystem } from './testutil/countingFs.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage, ReadOptions } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-large-frame-');
afterAll(() => tmp.cleanup());

const MIB = 1024 * 1024;
const LARGE_PAYLOAD_BYTES = 64 * MIB;
const random = randomBytes(3 * MIB);
const CHECKPOINTS = { types: [FrameType.CHECKPOINT] } as const;
const RECORDS = { types: [FrameType.RECORD] } as const;

/** seq 1 'one', 2 checkpoint 'cp1', 3 a 3 MiB record, 4 a 64 MiB record of zeros, 5 checkpoint 'cp2', 6 'six'. */
function writeWal(name: string): { dir: string; at: OversizeFrameWal } {
  const dir = path.join(tmp.dir, name);
  const at = writeOversizeFrameWal(dir, {
    before: [Buffer.from('one'), { type: FrameType.CHECKPOINT, payload: Buffer.from('cp1') }, random],
    frameBytes: LARGE_PAYLOAD_BYTES + FRAME_OVERHEAD_BYTES,
    after: [{ type: FrameType.CHECKPOINT, payload: Buffer.from('cp2') }, Buffer.from('six')],
  });
  return { dir, at };
}

function patch(dir: string, at: OversizeFrameWal, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(path.join(dir, at.segment), 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function read(dir: string, opts: ReadOptions): { seqs: number[]; damage: ReadDamage[] } {
  const damage: ReadDamage[] = [];
  const seqs = [...openWalReadOnly({ dir }).reader.records({ ...opts, onDamage: (d) => damage.push(d) })].map(
    (r) => r.seq,
  );
  return { seqs, damage };
}

describe('a WAL with a 64 MiB record frame', () => {
  const { dir } = writeWal('intact');

  it('is opened and read for checkpoints without a buffer larger than 1 MiB (the large payload is not held)', () => {
    const cfs = countingFileSystem(nodeFileSystem);
    const ro = openWalReadOnly({ dir, fs: cfs });
    // Recovery's walk of the unsealed segment only checks frames too.
    expect(cfs.largestReadBufferBytes()).toBeLessThanOrEqual(MIB);
    cfs.reset();
    const got = [...ro.reader.records(CHECKPOINTS)].map((r) => [r.seq, r.payload.toString()]);
    expect(got).toEqual([
      [2, 'cp1'],
      [5, 'cp2'],
    ]);
    expect(cfs.largestReadBufferBytes()).toBeLessThanOrEqual(MIB);
    // Its CRC is still checked: every byte of the segment is read, a chunk at a time.
    expect(cfs.bytesRead()).toBeGreaterThan(LARGE_PAYLOAD_BYTES);
  });

  it('returns large record payloads in the buffer they were read into, not a copy', () => {
    const cfs = countingFileSystem(nodeFileSystem);
    const ro = openWalReadOnly({ dir, fs: cfs });
    cfs.reset();
    const records = [...ro.reader.records(RECORDS)];
    expect(records.map((r) => [r.seq, r.payload.length])).toEqual([
      [1, 3],
      [3, random.length],
      [4, LARGE_PAYLOAD_BYTES],
      [6, 3],
    ]);
    const [, r3, r4] = records;
    expect(r3?.payload.equals(random)).toBe(true);
    expect(r4?.payload.equals(Buffer.alloc(LARGE_PAYLOAD_BYTES))).toBe(true);
    expect(cfs.readInto.has(r3?.payload.buffer as ArrayBufferLike)).toBe(true);
    expect(cfs.readInto.has(r4?.payload.buffer as ArrayBufferLike)).toBe(true);
    // Small payloads are copies of the reused chunk buffer.
    expect(records[0]?.payload.toString()).toBe('one');
    expect(cfs.readInto.has(records[0]?.payload.buffer as ArrayBufferLike)).toBe(false);
  });

  it('reads one large record by seq without reading the next large frame whole', () => {
    const cfs = countingFileSystem(nodeFileSystem);
    const ro = openWalReadOnly({ dir, fs: cfs });
    cfs.reset();
    const got = [...ro.reader.records({ fromSeq: 3, toSeq: 3 })];
    expect(got.map((r) => r.seq)).toEqual([3]);
    // The 3 MiB frame's own buffer, and chunks: the 64 MiB frame after it (beyond toSeq) is not read whole.
    expect(cfs.largestReadBufferBytes()).toBe(random.length + FRAME_OVERHEAD_BYTES);
  });
});

describe('a read that stops before a large frame', () => {
  const { dir } = writeWal('stop-before-large');

  it('does not check the large frame after the first frame past its end (toSeq)', () => {
    const cfs = countingFileSystem(nodeFileSystem);
    const ro = openWalReadOnly({ dir, fs: cfs });
    cfs.reset();
    // Stops at seq 3 (past toSeq 2); only a frame numbered 2 after it would be read on, and seq 4 is not.
    const got = [...ro.reader.records({ fromSeq: 2, toSeq: 2 })];
    expect(got.map((r) => r.seq)).toEqual([2]);
    // Seq 3 (3 MiB) is checked, the 64 MiB frame after it is not (it was: a CRC pass over all of it).
    expect(cfs.bytesRead()).toBeLessThanOrEqual(6 * MIB);
  });
});

describe('damage to a large frame of a type the pass does not return', () => {
  const cases: Array<{ name: string; change: (at: OversizeFrameWal) => [number, Buffer] }> = [
    { name: 'a payload byte', change: (at) => [at.offset + FRAME_HEADER_BYTES + 10 * MIB, Buffer.from([1])] },
    {
      name: 'its type byte, to CHECKPOINT',
      change: (at) => [at.offset + 4, Buffer.from([FrameType.CHECKPOINT])],
    },
    { name: 'its type byte, to a user type', change: (at) => [at.offset + 4, Buffer.from([7])] },
    { name: 'its sequence number', change: (at) => [at.offset + 8, Buffer.from([99])] },
    {
      name: 'its CRC',
      change: (at) => [at.offset + FRAME_HEADER_BYTES + LARGE_PAYLOAD_BYTES, Buffer.from([0x5a])],
    },
  ];
  for (const c of cases) {
    it(`(${c.name}) is reported as by a pass over every frame, and never returned`, () => {
      const { dir, at } = writeWal(`damaged-${c.name.replace(/\W+/g, '-')}`);
      const [offset, bytes] = c.change(at);
      patch(dir, at, offset, bytes);
      const expected = [{ segment: at.segment, offset: at.offset, reason: 'crc' }];
      expect(read(dir, {})).toEqual({ seqs: [1, 2, 3, 5, 6], damage: expected });
      expect(read(dir, CHECKPOINTS)).toEqual({ seqs: [2, 5], damage: expected });
      expect(read(dir, RECORDS)).toEqual({ seqs: [1, 3, 6], damage: expected });
      expect(read(dir, { types: [7] })).toEqual({ seqs: [], damage: expected });
      const { reader } = openWalReadOnly({ dir });
      expect(() => [...reader.records(CHECKPOINTS)]).toThrow(WalCorruptError);
      expect(() => [...reader.records(CHECKPOINTS)]).toThrow(`bad frame at offset ${at.offset} (crc)`);
    });
  }
});

describe('a small frame found inside a damaged large frame', () => {
  it('is handed over as a copy, not as a view pinning the large frame’s whole buffer', () => {
    // seq 2 is a 2 MiB record whose payload holds a valid frame (seq 2, 'inner') 1,000 bytes in; a
    // flipped byte elsewhere in it breaks its CRC, so the reader resyncs inside its own buffer.
    const inner = buildFrame(FrameType.RECORD, 1_000n, Buffer.from('inner'));
    sealFrame(inner, 2, FRAME_FLAG_BATCH_START);
    const big = Buffer.alloc(2 * MIB, 7);
    inner.copy(big, 1000);
    const dir = path.join(tmp.dir, 'embedded');
    const at = writeOversizeFrameWal(dir, {
      before: [Buffer.from('one'), big],
      frameBytes: MIB + FRAME_OVERHEAD_BYTES,
      after: [Buffer.from('six')],
    });
    const bigAt = SEGMENT_HEADER_BYTES + FRAME_OVERHEAD_BYTES + 3;
    patch(dir, at, bigAt + FRAME_HEADER_BYTES + 500_000, Buffer.from([8]));
    const damage: ReadDamage[] = [];
    const got = [...openWalReadOnly({ dir }).reader.records({ ...RECORDS, onDamage: (d) => damage.push(d) })];
    expect(damage.length).toBeGreaterThan(0);
    const found = got.find((r) => r.payload.toString() === 'inner');
    expect(found?.seq).toBe(2);
    expect(found?.payload.buffer.byteLength).toBeLessThan(MIB);
  });
});
