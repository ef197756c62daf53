/**
 * The high-water mark's write "at once" when a commit that created a segment is acknowledged, with two
 * commits in flight that both roll over (each segment created is due, not only the first), and after a failed
 * rollover commit gave its numbers back (its segment's entry goes with them). Found by review of the
 * pipelined group commit: the mark stayed behind the newest segment, so losing it was accepted at open.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import { readHighWaterMark } from './HighWaterMark.ts';
import { pad, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const batch = (tag: string, from: number, to: number): Buffer[] =>
  Array.from({ length: to - from + 1 }, (_, i) => pad(tag, from + i));

async function bothRollOver(commitsInFlightMax: number): Promise<{ disk: SimDisk; wal: Wal }> {
  const disk = new SimDisk(5);
  const wal = Wal.open({ ...TINY_WAL, fs: disk, highWaterMarkIntervalMs: 0, commitsInFlightMax });
  expect(await wal.appendBatch(batch('w', 1, 15))).toBe(1); // segment 1: 15 of its 17 frames
  disk.setSyncDelayMs(20);
  // A: 16, 17 in segment 1 (sealed), 18, 19 in segment 18 (a rollover).
  const a = wal.appendBatch(batch('a', 16, 19));
  await tick(); // A written, its sync running
  // B, written while A syncs: 20..34 fill segment 18 (sealed), 35, 36 go to segment 35 (a rollover).
  const b = wal.appendBatch(batch('b', 20, 36));
  expect(await a).toBe(16);
  expect(await b).toBe(20);
  expect(disk.exists(`/w/${segmentFileName(35)}`)).toBe(true);
  await sleep(100); // the mark's write on the (simulated) thread pool
  return { disk, wal };
}

describe('high-water mark with two commits in flight', () => {
  it('depth 1: the mark covers the second rollover once its commit is acknowledged', async () => {
    const { disk, wal } = await bothRollOver(1);
    expect(readHighWaterMark(disk, '/w')?.lastSeq).toBe(36);
    await wal.close();
  });

  it('depth 2: the mark is written at once when the second commit in flight, which rolled over too, is acknowledged', async () => {
    const { disk, wal } = await bothRollOver(2);
    expect(readHighWaterMark(disk, '/w')?.lastSeq).toBe(36);
    await wal.close();
  });

  for (const depth of [1, 2]) {
    it(`depth ${depth}: losing the newest segment after both rollovers is refused at open, not silently accepted`, async () => {
      const { disk } = await bothRollOver(depth);
      const after = disk.crash({ mode: 'lose' }); // everything acknowledged was synced
      after.removeFileDurably(`/w/${segmentFileName(35)}`); // segment holding acknowledged 35, 36
      let refused: unknown;
      try {
        const w = Wal.open({ ...TINY_WAL, fs: after, highWaterMarkIntervalMs: 0 });
        await w.close();
      } catch (err) {
        refused = err;
      }
      expect(refused).toMatchObject({ code: 'WAL_CORRUPT' });
    });
  }

  for (const depth of [1, 2]) {
    it(`depth ${depth}: after a failed rollover commit, the next commit that creates a segment writes the mark at once`, async () => {
      const disk = new SimDisk(6);
      const wal = Wal.open({ ...TINY_WAL, fs: disk, highWaterMarkIntervalMs: 0, commitsInFlightMax: depth });
      expect(await wal.appendBatch(batch('w', 1, 15))).toBe(1);
      // B: 16, 17 into segment 1 (sealed), 18, 19 into segment 18, whose commit sync fails: B is rejected,
      // segment 18 removed, numbers 16.. given back.
      let n = 0;
      disk.failNextSync('EIO', 1, (p) => p.endsWith('segment-2.prealloc') && ++n === 2);
      await expect(wal.appendBatch(batch('b', 16, 19))).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
      // C: 16, into a new segment 16 (a rollover: the mark is due when C is acknowledged).
      expect(await wal.append(pad('c', 16))).toBe(16);
      expect(disk.exists(`/w/${segmentFileName(16)}`)).toBe(true);
      await sleep(100);
      expect(readHighWaterMark(disk, '/w')?.lastSeq).toBe(16);
      await wal.close();
    });
  }
});
