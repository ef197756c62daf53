/**
 * openWalReadOnly({ verify: 'tail' }) (the default; replay, prove,
 * reidentify): sealed segments are trusted through their footers at open and
 * checked against them while they are read. A sealed segment that is not what
 * its footer vouches for — a footer that lies (CRC recomputed, so only the
 * frames disagree), or bit rot — is reported through `onDamage` and read on
 * frame by frame: no record of the range read is skipped silently.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalCorruptError } from '../errors.ts';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import { openWalReadOnly } from './readOnly.ts';
import { countingFileSystem } from './testutil/countingFs.ts';
import { editFooter } from './testutil/editFooter.ts';
import {
  flipPayloadBit,
  renumberToPrevious,
  SEALED_WAL_RECORDS,
  walCopier,
  writeSealedWal,
} from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage, ReadOptions } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-readonly-tail-');
afterAll(() => tmp.cleanup());

const RECORDS = SEALED_WAL_RECORDS;
let original = '';
let segments: string[] = [];
/** A copy of the original WAL. */
let copy: () => string;

/** 60 records of 300 bytes in sealed 4 KiB segments (12 records each), an index entry every 512 bytes. */
beforeAll(async () => {
  original = path.join(tmp.dir, 'original');
  segments = await writeSealedWal(original);
  copy = walCopier(tmp.dir, original);
});

const segmentFile = (dir: string, i: number): string => path.join(dir, segments[i] as string);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);
const all = range(1, RECORDS);

/** The seqs a tail read returns and the damage it reports. */
function tailRead(
  dir: string,
  opts: ReadOptions = {},
): { seqs: number[]; damage: ReadDamage[]; atOpen: Array<[string, string]> } {
  const damage: ReadDamage[] = [];
  const ro = openWalReadOnly({ dir });
  const seqs = [...ro.reader.records({ ...opts, onDamage: (d) => damage.push(d) })].map((r) => r.seq);
  return { seqs, damage, atOpen: ro.report.corruptions.map((c) => [c.segment, c.kind]) };
}

/** A lie: segment `i`'s footer ends `by` records early (CRC recomputed). */
function footerEndsEarly(dir: string, i: number, by: number): void {
  editFooter(segmentFile(dir, i), (f) => ({
    ...f,
    lastSeq: f.lastSeq - by,
    recordCount: f.recordCount - by,
  }));
}

describe("openWalReadOnly({ verify: 'tail' }) on an intact WAL", () => {
  it('has sealed segments (the tests below would prove nothing otherwise) and reads every record, no damage', () => {
    expect(segments.length).toBeGreaterThanOrEqual(5);
    expect(tailRead(original)).toEqual({ seqs: all, damage: [], atOpen: [] });
    expect(tailRead(original, { fromSeq: 20, toSeq: 30 })).toEqual({
      seqs: range(20, 30),
      damage: [],
      atOpen: [],
    });
  });
});

describe("openWalReadOnly({ verify: 'tail' }): a point read in a sealed segment", () => {
  it('starts at the index block (a few hundred bytes read), not at the segment header', () => {
    const fs = countingFileSystem(nodeFileSystem);
    const ro = openWalReadOnly({ dir: original, fs });
    const last = 24; // the last record of the second segment: reading from its header reads 12 frames
    fs.reset();
    const got = [...ro.reader.records({ fromSeq: last, toSeq: last })].map((r) => r.seq);
    expect(got).toEqual([last]);
    expect(fs.bytesRead()).toBeLessThan(3 * 1024);
  });
});

describe("openWalReadOnly({ verify: 'tail' }) on a sealed segment whose footer lies", () => {
  it('a footer that ends early (newest): every record read, the lie reported once while reading', () => {
    const dir = copy();
    const newest = segments.length - 1;
    footerEndsEarly(dir, newest, 3);
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all);
    expect(r.atOpen).toEqual([]);
    expect(r.damage).toHaveLength(1);
    expect(r.damage[0]?.segment).toBe(segments[newest]);
    expect(r.damage[0]?.reason).toMatch(/after the footer's last.*not what its footer vouches for/);
  });

  it('a footer that ends early (older: a gap before the next segment): walked at open, reported as bad-footer, every record read', () => {
    const dir = copy();
    footerEndsEarly(dir, 1, 3);
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all);
    expect(r.atOpen).toEqual([[segments[1], 'bad-footer']]);
    expect(r.damage).toEqual([]);
  });

  it('a footer that ends early: a range past its last number still finds the records (also the newest)', () => {
    const dir = copy();
    const newest = segments.length - 1;
    footerEndsEarly(dir, 1, 3);
    footerEndsEarly(dir, newest, 3);
    const hiddenOlder = [22, 23, 24];
    const hiddenNewest = [RECORDS - 2, RECORDS - 1, RECORDS];
    expect(tailRead(dir, { fromSeq: 22, toSeq: 24 }).seqs).toEqual(hiddenOlder);
    const r = tailRead(dir, { fromSeq: RECORDS - 2 });
    expect(r.seqs).toEqual(hiddenNewest);
    expect(r.damage.map((d) => d.segment)).toEqual([segments[newest]]);
  });

  it('a footer that says its segment is empty: every record read, reported', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 2), (f) => ({ ...f, lastSeq: f.firstSeq - 1, recordCount: 0 }));
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all);
    expect(r.atOpen).toEqual([[segments[2], 'bad-footer']]);
    // The newest too: its index entries outnumber its (claimed) records, so the open does not trust it.
    const newest = copy();
    const last = segments.length - 1;
    editFooter(segmentFile(newest, last), (f) => ({ ...f, lastSeq: f.firstSeq - 1, recordCount: 0 }));
    const n = tailRead(newest);
    expect(n.seqs).toEqual(all);
    expect(n.atOpen).toEqual([[segments[last], 'bad-footer']]);
    expect(n.damage).toEqual([]);
  });

  it('a footer that counts more records than there are (newest): reported where the frames end', () => {
    const dir = copy();
    const newest = segments.length - 1;
    editFooter(segmentFile(dir, newest), (f) => ({
      ...f,
      lastSeq: f.lastSeq + 2,
      recordCount: f.recordCount + 2,
    }));
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all);
    expect(r.damage).toHaveLength(1);
    expect(r.damage[0]).toMatchObject({ segment: segments[newest] });
    expect(r.damage[0]?.reason).toContain(`the frames end at WAL seq ${RECORDS}`);
  });

  it('an index that skips a block: the segment is read from its header, every record returned', () => {
    const dir = copy();
    editFooter(segmentFile(dir, 1), (f) => {
      const [first, second, ...rest] = f.index;
      if (first === undefined || second === undefined) throw new Error('fewer than two index entries');
      return { ...f, index: [{ ...first, offset: second.offset }, second, ...rest] };
    });
    expect(tailRead(dir, { fromSeq: 13, toSeq: 24 }).seqs).toEqual(range(13, 24));
  });

  it('an index entry that claims a later block starts earlier: a range read from it gives up there, reads from the header, reports the index', () => {
    const dir = copy();
    let lower = 0;
    editFooter(segmentFile(dir, 1), (f) => {
      const k = 2;
      const e = f.index[k];
      if (e === undefined || f.index.length < 4) throw new Error('fewer than four index entries');
      lower = e.firstSeq - 1; // in block k - 1, which the lie makes the index skip
      return { ...f, index: f.index.map((x, i) => (i === k ? { ...x, firstSeq: lower } : x)) };
    });
    const r = tailRead(dir, { fromSeq: lower, toSeq: lower + 3 });
    expect(r.seqs).toEqual(range(lower, lower + 3));
    expect(r.damage).toHaveLength(1);
    expect(r.damage[0]).toMatchObject({ segment: segments[1], sealedMismatch: true });
    expect(r.damage[0]?.reason).toContain("(the footer's index)");
  });

  it('without onDamage, a lying footer throws WalCorruptError instead of skipping records', () => {
    const dir = copy();
    footerEndsEarly(dir, segments.length - 1, 1);
    const ro = openWalReadOnly({ dir });
    expect(() => [...ro.reader.records()]).toThrow(WalCorruptError);
  });
});

describe("openWalReadOnly({ verify: 'tail' }) on damaged frames of a sealed segment", () => {
  it('a frame whose CRC fails: reported once with its reason, every other record read', () => {
    const dir = copy();
    const third = flipPayloadBit(segmentFile(dir, 1), 2);
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all.filter((s) => s !== third.seq));
    expect(r.damage).toEqual([{ segment: segments[1], offset: third.offset, reason: 'crc' }]);
  });

  it('a frame renumbered out of sequence (CRC valid): the duplicate and the gap reported, the frames after it read', () => {
    const dir = copy();
    const second = renumberToPrevious(segmentFile(dir, 2), 1);
    const r = tailRead(dir);
    expect(r.seqs).toEqual(all.filter((s) => s !== second.seq));
    const third = second.offset + second.frameBytes;
    expect(r.damage.map((d) => [d.segment, d.offset])).toEqual([
      [segments[2], second.offset],
      [segments[2], third],
    ]);
    expect(r.damage[0]?.reason).toContain(`WAL seq ${second.seq - 1} where ${second.seq} belongs`);
    expect(r.damage[1]?.reason).toContain(`WAL seq ${second.seq + 1} where ${second.seq} belongs`);
  });
});
