/**
 * openWalReadOnly({ verify: 'once' }): sealed segments are trusted through
 * their footers at open and checked against them while they are read, so each
 * frame's CRC is computed once (a `full` open computes it at open and again
 * while reading). A sealed segment that is not exactly what its footer
 * vouches for throws WalSealedMismatchError — including footers that lie
 * (a `tail` open reports those and reads on: readOnly.tail.test.ts).
 */
import path from 'node:path';
import type * as crc from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FRAME_HEADER_BYTES } from './format.ts';
import { openWalReadOnly, WalSealedMismatchError } from './readOnly.ts';
import { editFooter } from './testutil/editFooter.ts';
import {
  flipPayloadBit,
  renumberToPrevious,
  SEALED_WAL_PAYLOAD_BYTES,
  SEALED_WAL_RECORDS,
  walCopier,
  writeSealedWal,
} from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';

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

const RECORDS = SEALED_WAL_RECORDS;
const PAYLOAD_BYTES = SEALED_WAL_PAYLOAD_BYTES;
/** What the CRC of one record frame covers: header and payload. */
const RECORD_CRC_INPUT_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;
let original = '';
let segments: string[] = [];

/** 60 records of 300 bytes in sealed 4 KiB segments (12 records each), an index entry every 512 bytes. */
beforeAll(async () => {
  original = path.join(tmp.dir, 'original');
  segments = await writeSealedWal(original);
  copy = walCopier(tmp.dir, original);
});

/** A copy of the original WAL. */
let copy: () => string;

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

  it('returns every record, computing each record frame’s CRC once (a full open: at least twice)', () => {
    crcInputs.lengths.length = 0;
    expect(readSeqs(original, 'once')).toEqual(all);
    const once = crcInputs.lengths.filter((n) => n === RECORD_CRC_INPUT_BYTES).length;
    crcInputs.lengths.length = 0;
    expect(readSeqs(original, 'full')).toEqual(all);
    const full = crcInputs.lengths.filter((n) => n === RECORD_CRC_INPUT_BYTES).length;
    expect(once).toBe(RECORDS);
    // A full open also checks the frame each sealed footer's index entry names (footerProblem.ts).
    expect(full).toBeGreaterThanOrEqual(2 * RECORDS);
  });
});

describe("openWalReadOnly({ verify: 'once' }) on a sealed segment that does not match its footer", () => {
  it('throws WalSealedMismatchError at a frame whose CRC fails (full recovery classifies it)', () => {
    const dir = copy();
    const third = flipPayloadBit(segmentFile(dir, 1), 2);
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
    // The second frame renumbered to the first's number, CRC recomputed: a duplicate, then a gap.
    const second = renumberToPrevious(segmentFile(dir, 2), 1);
    expect(onceMismatch(dir).message).toContain(`WAL seq ${second.seq - 1} where ${second.seq} belongs`);
    const kinds = openWalReadOnly({ dir, verify: 'full' }).report.corruptions.map((c) => c.kind);
    expect(kinds).toContain('duplicate');
  });

  it('throws when the footer counts fewer records than the segment holds (newest: nothing contradicts it at open)', () => {
    const dir = copy();
    const newest = segments.length - 1;
    editFooter(segmentFile(dir, newest), (f) => ({
      ...f,
      lastSeq: f.lastSeq - 1,
      recordCount: f.recordCount - 1,
    }));
    expect(readSeqs(dir, 'tail')).toEqual(all); // reported, not skipped (readOnly.tail.test.ts)
    expect(onceMismatch(dir).message).toContain("after the footer's last");
    expect(readSeqs(dir, 'full')).toEqual(all);
  });

  it('walks at open, and reports, a sealed segment whose footer leaves a gap before the next segment', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => ({
      ...f,
      lastSeq: f.lastSeq - 1,
      recordCount: f.recordCount - 1,
    }));
    const ro = openWalReadOnly({ dir, verify: 'once' });
    expect(ro.report.corruptions.map((c) => [c.segment, c.kind])).toEqual([[segments[1], 'bad-footer']]);
    expect([...ro.reader.records()].map((r) => r.seq)).toEqual(all);
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

  // (A footer that says its segment is empty while frames precede it keeps its index entries - the edit
  // keeps the frame's length - and so is caught at open, as this one.)
  it('reports at open (bad-footer) a footer whose index has more entries than records', () => {
    const dir = copy();
    const newest = segments.length - 1;
    editFooter(segmentFile(dir, newest), (f) => ({ ...f, lastSeq: f.firstSeq - 1, recordCount: 0 }));
    const ro = openWalReadOnly({ dir, verify: 'once' });
    expect([...ro.reader.records()].map((r) => r.seq)).toEqual(all);
    expect(ro.report.corruptions.map((c) => [c.segment, c.kind, c.detail])).toEqual([
      [segments[newest], 'bad-footer', expect.stringMatching(/index has \d+ entries for 0 records/)],
    ]);
  });

  it('reports at open (bad-footer) a footer whose index does not start at the first frame', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => {
      const [first, second, ...rest] = f.index;
      if (first === undefined || second === undefined) throw new Error('fewer than two index entries');
      return { ...f, index: [{ ...first, offset: second.offset }, second, ...rest] };
    });
    expect(readSeqs(dir, 'tail')).toEqual(all);
    const ro = openWalReadOnly({ dir, verify: 'once' });
    expect([...ro.reader.records()].map((r) => r.seq)).toEqual(all);
    expect(ro.report.corruptions.map((c) => [c.segment, c.kind, c.detail])).toEqual([
      [segments[1], 'bad-footer', expect.stringContaining('does not start at the first frame')],
    ]);
  });

  it("throws when its footer's index entry names no frame (tail reads every record and reports it)", () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => {
      const [first, second, third, ...rest] = f.index;
      if (first === undefined || second === undefined || third === undefined)
        throw new Error('fewer than three index entries');
      // Well formed (increasing, inside the data), but not at a frame boundary.
      return { ...f, index: [first, { ...second, offset: second.offset + 1 }, third, ...rest] };
    });
    expect(readSeqs(dir, 'tail')).toEqual(all);
    expect(onceMismatch(dir).message).toContain("the footer's index entry 1");
  });
});
