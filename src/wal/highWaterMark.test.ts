/**
 * The high-water mark (HighWaterMark.ts, recover.ts): acknowledged records lost at the end of the WAL —
 * bit rot in the last durable frames, a truncated or deleted newest segment — refuse the open instead of
 * passing for a torn final write, leave the evidence as it was, and are reported by read-only opens.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import {
  decodeHighWaterMark,
  encodeHighWaterMark,
  HIGH_WATER_MARK_FILE,
  readHighWaterMark,
  writeHighWaterMarkAsync,
} from './HighWaterMark.ts';
import type { WalOptions } from './options.ts';
import { openWalReadOnly } from './readOnly.ts';
import { frameLocations, payloadFor } from './testutil/frames.ts';
import { SMALL_WAL } from './testutil/smallWal.ts';
import { Wal } from './Wal.ts';
import { WalRecordsLostError } from './WalRecordsLostError.ts';

const DIR = '/wal';
const MARK = `${DIR}/${HIGH_WATER_MARK_FILE}`;
const SMALL: Omit<WalOptions, 'dir' | 'fs'> = {
  ...SMALL_WAL,
  // Rollover and close only: the periodic write has its own tests (highWaterMark.periodic.test.ts).
  highWaterMarkIntervalMs: 0,
};

function open(disk: SimDisk, opts: Partial<WalOptions> = {}): Wal {
  return Wal.open({ dir: DIR, fs: disk, ...SMALL, ...opts });
}

/** Appends records `from..to`, one commit each (each acknowledged before the next). */
async function appendAcked(wal: Wal, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) expect(await wal.append(payloadFor('r', i))).toBe(i);
}

function segmentsOf(disk: SimDisk): string[] {
  return disk
    .listFiles()
    .filter((p) => /\/\d{20}\.wal$/.test(p))
    .sort();
}

function markOf(disk: SimDisk): number | undefined {
  return readHighWaterMark(disk, DIR)?.lastSeq;
}

/** Waits (at most 2 s) for the mark on disk to be `seq`: it is written on the (simulated) thread pool. */
async function markReaches(disk: SimDisk, seq: number): Promise<void> {
  const deadline = performance.now() + 2000;
  while (markOf(disk) !== seq && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  expect(markOf(disk)).toBe(seq);
}

/** Flips a bit inside the payload of record `seq` in segment `file`. */
function flipInRecord(disk: SimDisk, file: string, seq: number): void {
  const f = frameLocations(disk.fileBytes(file)).find((x) => x.seq === seq);
  expect(f, `record ${seq} in ${file}`).toBeDefined();
  disk.flipBit(file, (f?.offset ?? 0) + 26, 2);
}

/**
 * Bit rot in the last record of a sealed segment AND in its footer (a clean close sealed it): without the
 * footer the segment is walked, and its last record, with nothing valid after it, passes for a torn write.
 */
function rotSealedTail(disk: SimDisk, file: string, seq: number): void {
  flipInRecord(disk, file, seq);
  const b = Buffer.from(disk.fileBytes(file));
  const footerOffset = Number(b.readBigUInt64LE(b.length - 16));
  disk.flipBit(file, footerOffset + 30, 5);
}

/** Every file and its bytes but the lock and transient files: to show that a refused open changed nothing. */
function snapshot(disk: SimDisk): Map<string, string> {
  return new Map(
    disk
      .listFiles()
      .filter((p) => !p.endsWith('/LOCK') && !p.endsWith('.prealloc') && !p.endsWith('.tmp'))
      .map((p) => [p, Buffer.from(disk.fileBytes(p)).toString('hex')]),
  );
}

function refusal(f: () => unknown): WalRecordsLostError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WalRecordsLostError);
    expect(err).toMatchObject({ code: 'WAL_CORRUPT' });
    return err as WalRecordsLostError;
  }
  throw new Error('the open was not refused');
}

/** Writes until a rollover's commit is acknowledged; returns the first seq of the new segment. */
async function writeThroughRollover(wal: Wal, disk: SimDisk, from: number): Promise<number> {
  let seq = from;
  while (segmentsOf(disk).length < 2) await appendAcked(wal, seq, seq++);
  return Number(/(\d{20})\.wal$/.exec(segmentsOf(disk)[1] as string)?.[1]);
}

describe('WAL high-water mark', () => {
  it('bit rot in the last durable frame of the newest segment after a clean close: the open refuses, nothing changes', async () => {
    const disk = new SimDisk(101);
    const wal = open(disk);
    await appendAcked(wal, 1, 30);
    await wal.close();
    expect(markOf(disk)).toBe(30);
    const seg = `${DIR}/${segmentFileName(1)}`;
    rotSealedTail(disk, seg, 30);
    const before = snapshot(disk);
    const err = refusal(() => open(disk));
    expect(err.lost).toMatchObject({
      expectedLastSeq: 30,
      foundLastSeq: 29,
      expectedSegment: segmentFileName(1),
      expectedSegmentPresent: true,
      newestSegment: segmentFileName(1),
    });
    expect(err.message).toMatch(/records 30\.\.30 are missing or damaged/);
    expect(err.message).toMatch(/up to 30 were durable in segment 0{19}1\.wal \(present\)/);
    // When the mark was written: a stale or foreign mark (copied in) shows as such.
    const updated = readHighWaterMark(disk, DIR)?.updatedUnixNano as bigint;
    expect(err.lost.markUpdatedUnixNano).toBe(updated);
    const iso = new Date(Number(updated / 1_000_000n)).toISOString();
    expect(err.message).toContain(`mark (high-water-mark, written ${iso}) says`);
    expect(err.message).toMatch(/intact records end at 29 \(newest segment: 0{19}1\.wal\)/);
    expect(err.message).toMatch(/acceptLostRecordsThroughSeq: 30/);
    // Only the newest segment is guaranteed untouched: older ones may have been sealed before it was reached.
    expect(err.message).toMatch(
      /The newest segment was left as found \(nothing in it cut, sealed or removed\)/,
    );
    expect(snapshot(disk)).toEqual(before); // not cut, not sealed, no quarantine copy, lock released
    // A reader is told, and reads every intact record.
    const ro = openWalReadOnly({ dir: DIR, fs: disk });
    expect(ro.report.belowHighWaterMark).toEqual({ fromSeq: 30, toSeq: 30 });
    expect(ro.report.tornTails).toEqual([]);
    expect(ro.report.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', segment: segmentFileName(1), seqFrom: 30, seqTo: 30 }),
    ]);
    expect([...ro.reader.records({ onDamage: () => undefined })].map((r) => r.seq)).toHaveLength(29);
    expect(snapshot(disk)).toEqual(before);
  });

  it('bit rot in the frames of the commit that rolled over, after a crash: the open refuses', async () => {
    const disk = new SimDisk(102);
    const wal = open(disk);
    const newFirst = await writeThroughRollover(wal, disk, 1);
    await markReaches(disk, newFirst);
    await new Promise((r) => setTimeout(r, 5)); // renamed: its directory sync completes a turn later
    // written once the commit that created the segment was durable
    const after = disk.crash({ mode: 'lose' });
    const newest = `${DIR}/${segmentFileName(newFirst)}`;
    flipInRecord(after, newest, newFirst);
    const before = snapshot(after);
    const err = refusal(() => open(after));
    expect(err.lost).toMatchObject({ expectedLastSeq: newFirst, foundLastSeq: newFirst - 1 });
    expect(snapshot(after)).toEqual(before);
  });

  it('the newest segment file deleted after a rollover: the open refuses and names it missing', async () => {
    const disk = new SimDisk(103);
    const wal = open(disk);
    const newFirst = await writeThroughRollover(wal, disk, 1);
    await appendAcked(wal, newFirst + 1, newFirst + 5);
    await wal.close();
    expect(markOf(disk)).toBe(newFirst + 5);
    disk.removeFileDurably(`${DIR}/${segmentFileName(newFirst)}`);
    const before = snapshot(disk);
    const err = refusal(() => open(disk));
    expect(err.lost).toMatchObject({
      expectedLastSeq: newFirst + 5,
      foundLastSeq: newFirst - 1,
      expectedSegment: segmentFileName(newFirst),
      expectedSegmentPresent: false,
      newestSegment: segmentFileName(1),
    });
    expect(err.message).toMatch(/MISSING/);
    expect(snapshot(disk)).toEqual(before);
    const ro = openWalReadOnly({ dir: DIR, fs: disk });
    expect(ro.report.corruptions).toEqual([
      expect.objectContaining({ kind: 'lost-tail', seqFrom: newFirst, seqTo: newFirst + 5 }),
    ]);
  });

  it('the newest segment cut at a frame boundary (a clean-looking end): the open refuses', async () => {
    const disk = new SimDisk(104);
    const wal = open(disk);
    await appendAcked(wal, 1, 20);
    await wal.close();
    const seg = `${DIR}/${segmentFileName(1)}`;
    const f15 = frameLocations(disk.fileBytes(seg)).find((f) => f.seq === 15);
    disk.truncateFile(seg, f15?.offset ?? 0);
    const err = refusal(() => open(disk));
    expect(err.lost).toMatchObject({ expectedLastSeq: 20, foundLastSeq: 14 });
  });

  it('a genuine torn tail above the mark is still cut and reported as before', async () => {
    const disk = new SimDisk(105);
    let wal = open(disk);
    await appendAcked(wal, 1, 10);
    await wal.close();
    expect(markOf(disk)).toBe(10);
    wal = open(disk);
    disk.setSyncDelayMs(10_000);
    const unacked = [11, 12, 13, 14].map((i) => wal.append(payloadFor('r', i)).catch(() => -1));
    await new Promise((r) => setImmediate(r)); // written, its sync in flight: never acknowledged
    const after = disk.crash({ mode: 'keep' });
    void Promise.all(unacked);
    const newest = segmentsOf(after).at(-1) as string;
    const f11 = frameLocations(after.fileBytes(newest)).find((f) => f.seq === 11);
    expect(f11).toBeDefined();
    after.zeroRange(newest, (f11?.offset ?? 0) + 8, 8);
    const again = open(after);
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toEqual([
      expect.objectContaining({ discardedSeqFrom: 11, discardedSeqTo: 14 }),
    ]);
    expect(again.recovery.belowHighWaterMark).toBeUndefined();
    expect([...again.read()].map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await again.append(payloadFor('r', 11))).toBe(11);
    await again.close();
  });

  it('a WAL without the file (written before marks) opens as before, and gets the file at close', async () => {
    const disk = new SimDisk(106);
    const wal = open(disk);
    await appendAcked(wal, 1, 30);
    await wal.close();
    disk.removeFileDurably(MARK);
    rotSealedTail(disk, `${DIR}/${segmentFileName(1)}`, 30);
    const again = open(disk);
    expect(again.recovery.highWaterMark).toBeUndefined();
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toHaveLength(1); // no lower bound: the old rule
    expect(again.status().nextSeq).toBe(30);
    await again.close();
    expect(markOf(disk)).toBe(29);
  });

  it('the operator way out: refused until the loss is accepted through the mark, then reported at every open', async () => {
    const disk = new SimDisk(107);
    const wal = open(disk);
    const newFirst = await writeThroughRollover(wal, disk, 1);
    await appendAcked(wal, newFirst + 1, newFirst + 3);
    await wal.close();
    const markSeq = newFirst + 3;
    disk.removeFileDurably(`${DIR}/${segmentFileName(newFirst)}`);
    // Accepting less than the mark is no acceptance.
    refusal(() => open(disk, { acceptLostRecordsThroughSeq: markSeq - 1 }));
    expect(() => open(disk, { acceptLostRecordsThroughSeq: 0 })).toThrow(
      expect.objectContaining({ code: 'WAL_BAD_OPTIONS' }),
    );
    const accepted = open(disk, { acceptLostRecordsThroughSeq: markSeq });
    expect(accepted.recovery.belowHighWaterMark).toEqual({ fromSeq: newFirst, toSeq: markSeq });
    expect(accepted.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'lost-tail', seqFrom: newFirst, seqTo: markSeq }),
    ]);
    // Numbers the lost records had are never given again.
    expect(accepted.status().nextSeq).toBe(markSeq + 1);
    await accepted.close();
    // Without the option, later opens go on and keep naming the loss (a gap before the boundary segment).
    const later = open(disk);
    expect(later.recovery.belowHighWaterMark).toBeUndefined();
    expect(later.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'missing-segment', seqFrom: newFirst, seqTo: markSeq }),
    ]);
    expect(await later.append(payloadFor('r', markSeq + 1))).toBe(markSeq + 1);
    await later.close();
    const last = open(disk);
    expect(last.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'missing-segment', seqFrom: newFirst, seqTo: markSeq }),
    ]);
    expect([...last.read({ onDamage: () => undefined })].map((r) => r.seq).at(-1)).toBe(markSeq + 1);
    await last.close();
    expect(markOf(disk)).toBe(markSeq + 1);
  });

  it('an accepted loss inside the newest segment: quarantined, kept as found, not refused again', async () => {
    const disk = new SimDisk(108);
    const wal = open(disk);
    await appendAcked(wal, 1, 30);
    await wal.close();
    const seg = `${DIR}/${segmentFileName(1)}`;
    rotSealedTail(disk, seg, 30);
    const damaged = Buffer.from(disk.fileBytes(seg));
    const accepted = open(disk, { acceptLostRecordsThroughSeq: 30 });
    expect(accepted.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 30, seqTo: 30 }),
    ]);
    expect(accepted.recovery.corruptions[0]?.quarantinedAs).toMatch(/^quarantine\//);
    expect(accepted.status().nextSeq).toBe(31);
    await accepted.close();
    expect(Buffer.from(disk.fileBytes(seg)).equals(damaged)).toBe(true);
    const later = open(disk);
    expect(later.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 30, seqTo: 30 }),
    ]);
    expect(later.status().nextSeq).toBe(31);
    await later.close();
  });

  it('the mark: written at rollover and close, never lowered, not with syncPolicy none, nothing per append', async () => {
    const disk = new SimDisk(109);
    const wal = open(disk);
    await appendAcked(wal, 1, 5);
    expect(disk.exists(MARK)).toBe(false); // the first segment of a new WAL: no rollover yet
    const syncs = disk.stats.syncs;
    await appendAcked(wal, 6, 10);
    expect(disk.stats.syncs - syncs).toBe(5); // one per commit: the mark costs nothing per append
    await wal.close();
    expect(markOf(disk)).toBe(10);
    await writeHighWaterMarkAsync(disk, DIR, { lastSeq: 500, segmentFirstSeq: 1, updatedUnixNano: 0n });
    const higher = open(disk, { acceptLostRecordsThroughSeq: 500 });
    await higher.close();
    expect(markOf(disk)).toBe(500);
    const none = new SimDisk(110);
    const unsynced = Wal.open({ dir: DIR, fs: none, ...SMALL, syncPolicy: 'none' });
    await appendAcked(unsynced, 1, 300);
    await unsynced.close();
    expect(segmentsOf(none).length).toBeGreaterThan(1);
    expect(none.exists(MARK)).toBe(false);
  });

  it('an unreadable mark refuses a write-mode open (WAL_CORRUPT); a reader opens and reports it', async () => {
    const disk = new SimDisk(111);
    const wal = open(disk);
    await appendAcked(wal, 1, 3);
    await wal.close();
    disk.flipBit(MARK, 17, 0);
    const before = snapshot(disk);
    expect(() => open(disk)).toThrow(expect.objectContaining({ code: 'WAL_CORRUPT' }));
    expect(snapshot(disk)).toEqual(before);
    const ro = openWalReadOnly({ dir: DIR, fs: disk });
    expect(ro.report.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-high-water-mark', segment: HIGH_WATER_MARK_FILE }),
    ]);
    expect([...ro.reader.records()].map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('file format: round trip, CRC, version, bounds', () => {
    const m = { lastSeq: 2 ** 53 - 1, segmentFirstSeq: 7, updatedUnixNano: -5n };
    const b = encodeHighWaterMark(m);
    expect(b.length).toBe(48);
    expect(decodeHighWaterMark(b)).toEqual(m);
    const flipped = Buffer.from(b);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(decodeHighWaterMark(flipped)).toBe('CRC mismatch');
    expect(decodeHighWaterMark(b.subarray(0, 47))).toMatch(/^size 47/);
    expect(decodeHighWaterMark(Buffer.concat([b, Buffer.alloc(1)]))).toMatch(/^size 49/);
    expect(decodeHighWaterMark(encodeHighWaterMark({ ...m, segmentFirstSeq: 0 }))).toBe('field out of range');
  });
});
