/**
 * openWalReadOnly({ verify: 'once' }): sealed segments are trusted through
 * their footers at open and checked against them while they are read, so each
 * frame's CRC is computed once (a `full` open computes it at open and again
 * while reading). A sealed segment that is not exactly what its footer
 * vouches for throws WalSealedMismatchError — including footers that a `tail`
 * open would believe, silently skipping records.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as crc from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, sealFrame } from './format.ts';
import { openWalReadOnly, WalSealedMismatchError } from './readOnly.ts';
import { editFooter } from './testutil/editFooter.ts';
import { frameLocations } from './testutil/frames.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { Wal } from './Wal.ts';

/** Counts the CRC32C computations over `length`-byte inputs (the frames checked), passing each on. */
const crcInputs = vi.hoisted(() => ({ lengths: [] as number[] }));
vi.mock('@node-rs/crc32', async (importOriginal) => {
  const real = await importOriginal<typeof crc>();
  return {
    ...real,
    crc32c: (input: Uint8Array, initial?: number) => {
      crcInputs.lengths.push(input.length);
      return real.crc32c(input as Buffer, initial);
    },
  };
});

const tmp = makeTempDir('otel-audit-readonly-once-');
afterAll(() => tmp.cleanup());

const RECORDS = 60;
const PAYLOAD_BYTES = 300;
/** What the CRC of one record frame covers: header and payload. */
const RECORD_CRC_INPUT_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;
let original = '';
let segments: string[] = [];

/** 60 records of 300 bytes in sealed 4 KiB segments (12 records each), an index entry every 512 bytes. */
beforeAll(async () => {
  original = path.join(tmp.dir, 'original');
  const wal = Wal.open({
    dir: original,
    syncPolicy: 'none',
    preallocate: 'off',
    segmentBytesMax: 4096,
    payloadBytesMax: 1024,
    indexIntervalBytes: 512,
  });
  for (let i = 1; i <= RECORDS; i++) await wal.append(Buffer.alloc(PAYLOAD_BYTES, i));
  await wal.close();
  segments = fs.readdirSync(original).filter((n) => n.endsWith('.wal'));
});

let copies = 0;
/** A copy of the original WAL. */
function copy(): string {
  const dir = path.join(tmp.dir, `copy-${copies++}`);
  fs.cpSync(original, dir, { recursive: true });
  return dir;
}

/** The WAL seqs a full read returns; `onDamage` keeps reading past damage. */
function readSeqs(dir: string, verify: 'tail' | 'full' | 'once'): number[] {
  const ro = openWalReadOnly({ dir, verify });
  return [...ro.reader.records({ onDamage: () => undefined })].map((r) => r.seq);
}

/** The segment file of `dir` that the original's `i`-th segment is. */
const segmentFile = (dir: string, i: number): string => path.join(dir, segments[i] as string);
const all = Array.from({ length: RECORDS }, (_, i) => i + 1);

/** What a read of `dir` opened with 'once' throws. */
function onceMismatch(dir: string): WalSealedMismatchError {
  try {
    readSeqs(dir, 'once');
  } catch (err) {
    if (err instanceof WalSealedMismatchError) return err;
    throw err;
  }
  throw new Error(`a 'once' read of ${dir} threw nothing`);
}

describe("openWalReadOnly({ verify: 'once' }) on an intact WAL", () => {
  it('has sealed segments to check (the test would prove nothing otherwise)', () => {
    const ro = openWalReadOnly({ dir: original, verify: 'once' });
    expect(ro.reader).toBeDefined();
    expect(segments.length).toBeGreaterThanOrEqual(4);
    expect(ro.report.corruptions).toEqual([]);
  });

  it('returns every record, computing each record frame’s CRC once (a full open: twice)', () => {
    crcInputs.lengths.length = 0;
    expect(readSeqs(original, 'once')).toEqual(all);
    const once = crcInputs.lengths.filter((n) => n === RECORD_CRC_INPUT_BYTES).length;
    crcInputs.lengths.length = 0;
    expect(readSeqs(original, 'full')).toEqual(all);
    const full = crcInputs.lengths.filter((n) => n === RECORD_CRC_INPUT_BYTES).length;
    expect({ once, full }).toEqual({ once: RECORDS, full: 2 * RECORDS });
  });
});

describe("openWalReadOnly({ verify: 'once' }) on a sealed segment that does not match its footer", () => {
  it('throws WalSealedMismatchError at a frame whose CRC fails (full recovery classifies it)', () => {
    const dir = copy();
    const file = segmentFile(dir, 1);
    const b = fs.readFileSync(file);
    const third = frameLocations(b)[2];
    if (third === undefined) throw new Error('no third frame');
    const at = third.offset + FRAME_HEADER_BYTES + 5;
    b[at] = (b[at] ?? 0) ^ 0x10;
    fs.writeFileSync(file, b);
    const err = onceMismatch(dir);
    expect(err).toMatchObject({ code: 'WAL_CORRUPT', segment: segments[1], offset: third.offset });
    expect(err.message).toContain('bad frame (crc)');
    const full = openWalReadOnly({ dir, verify: 'full' });
    expect(full.report.corruptions.map((c) => [c.kind, c.seqFrom, c.seqTo])).toEqual([
      ['bad-frame', third.seq, third.seq],
    ]);
  });

  it('throws where a frame carries a number out of sequence (CRC valid), which full recovery reports', () => {
    const dir = copy();
    const file = segmentFile(dir, 2);
    const b = fs.readFileSync(file);
    const second = frameLocations(b)[1];
    if (second === undefined) throw new Error('no second frame');
    // The second frame renumbered to the first's number, CRC recomputed: a duplicate, then a gap.
    const frame = b.subarray(second.offset, second.offset + second.frameBytes);
    sealFrame(frame, second.seq - 1, frame[5] ?? 0);
    fs.writeFileSync(file, b);
    expect(onceMismatch(dir).message).toContain(`WAL seq ${second.seq - 1} where ${second.seq} belongs`);
    const kinds = openWalReadOnly({ dir, verify: 'full' }).report.corruptions.map((c) => c.kind);
    expect(kinds).toContain('duplicate');
  });

  it('throws when the footer counts fewer records than the segment holds (tail would skip the last)', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => ({
      ...f,
      lastSeq: f.lastSeq - 1,
      recordCount: f.recordCount - 1,
    }));
    const lost = all.filter((s) => !readSeqs(dir, 'tail').includes(s));
    expect(lost).toHaveLength(1); // what trusting the footer alone would miss
    expect(onceMismatch(dir).message).toContain("after the footer's last");
    expect(readSeqs(dir, 'full')).toEqual(all);
  });

  it('throws when the footer of the newest segment counts more records than it holds', () => {
    const dir = copy();
    const newest = segments.length - 1;
    editFooter(segmentFile(dir, newest), (f) => ({
      ...f,
      lastSeq: f.lastSeq + 1,
      recordCount: f.recordCount + 1,
    }));
    expect(onceMismatch(dir).segment).toBe(segments[newest]);
  });

  it('throws when a footer says its segment is empty while frames precede it (tail would skip them all)', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => ({
      ...f,
      lastSeq: f.firstSeq - 1,
      recordCount: 0,
      index: f.index,
    }));
    const skipped = all.filter((s) => !readSeqs(dir, 'tail').includes(s));
    expect(skipped.length).toBeGreaterThan(1);
    expect(onceMismatch(dir)).toMatchObject({ segment: segments[1], offset: SEGMENT_HEADER_BYTES });
  });

  it("reads a segment from its header whatever its footer's index says (tail skips what the index skips)", () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => {
      const [first, second, ...rest] = f.index;
      if (first === undefined || second === undefined) throw new Error('fewer than two index entries');
      return { ...f, index: [{ ...first, offset: second.offset }, second, ...rest] };
    });
    expect(readSeqs(dir, 'tail').length).toBeLessThan(RECORDS);
    expect(readSeqs(dir, 'once')).toEqual(all);
  });
});
