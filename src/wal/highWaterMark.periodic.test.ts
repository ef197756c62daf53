/**
 * The high-water mark advanced while appends are acknowledged (HighWaterMarkKeeper.ts): at most once per
 * `highWaterMarkIntervalMs` when the durable seq moved, on the (simulated) thread pool. Records acknowledged
 * after the last rollover are then covered too: lost after a crash, they refuse the open instead of passing
 * for a torn tail. The mark never names a seq that is not durable, even with commits failing around it.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import { HIGH_WATER_MARK_FILE, readHighWaterMark } from './HighWaterMark.ts';
import type { WalOptions } from './options.ts';
import { frameLocations, payloadFor } from './testutil/frames.ts';
import { SMALL_WAL } from './testutil/smallWal.ts';
import { Wal } from './Wal.ts';
import { WalRecordsLostError } from './WalRecordsLostError.ts';

const DIR = '/wal';
const SMALL: Omit<WalOptions, 'dir' | 'fs'> = SMALL_WAL;

/** A SimDisk that counts the renames onto the mark, synchronous and on the thread pool. */
class MarkCountingDisk extends SimDisk {
  syncMarkRenames = 0;
  asyncMarkRenames = 0;
  /** SimDisk's renameAsync runs `rename` when it completes: not a synchronous call of the caller's. */
  private inAsync = 0;
  override rename(from: string, to: string): void {
    if (to.endsWith(`/${HIGH_WATER_MARK_FILE}`) && this.inAsync === 0) this.syncMarkRenames++;
    super.rename(from, to);
  }
  override renameAsync(from: string, to: string): Promise<void> {
    if (to.endsWith(`/${HIGH_WATER_MARK_FILE}`)) this.asyncMarkRenames++;
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        this.inAsync++;
        try {
          super.rename(from, to);
          resolve();
        } catch (err) {
          reject(err);
        } finally {
          this.inAsync--;
        }
      });
    });
  }
}

function open(disk: SimDisk, opts: Partial<WalOptions> = {}): Wal {
  return Wal.open({ dir: DIR, fs: disk, ...SMALL, ...opts });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

async function markReaches(disk: SimDisk, seq: number): Promise<void> {
  const deadline = performance.now() + 2000;
  while (markOf(disk) !== seq && performance.now() < deadline) await sleep(1);
  expect(markOf(disk), 'the mark on disk').toBe(seq);
  await sleep(5); // renamed: its directory sync completes a turn later
}

async function writeThroughRollover(wal: Wal, disk: SimDisk, from: number): Promise<number> {
  let seq = from;
  while (segmentsOf(disk).length < 2) await appendAcked(wal, seq, seq++);
  return Number(/(\d{20})\.wal$/.exec(segmentsOf(disk)[1] as string)?.[1]);
}

function frameOf(disk: SimDisk, file: string, seq: number): { offset: number } {
  const f = frameLocations(disk.fileBytes(file)).find((x) => x.seq === seq);
  expect(f, `record ${seq} in ${file}`).toBeDefined();
  return f as { offset: number };
}

function refusal(f: () => unknown): WalRecordsLostError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WalRecordsLostError);
    return err as WalRecordsLostError;
  }
  throw new Error('the open was not refused');
}

describe('WAL high-water mark, periodic', () => {
  it('records acknowledged after the last rollover are covered after an interval: bit rot in one, then a crash, refuses the open', async () => {
    const disk = new SimDisk(201);
    const wal = open(disk, { highWaterMarkIntervalMs: 20 });
    const newFirst = await writeThroughRollover(wal, disk, 1);
    await appendAcked(wal, newFirst + 1, newFirst + 10);
    await markReaches(disk, newFirst + 10);
    const after = disk.crash({ mode: 'lose' });
    const newest = `${DIR}/${segmentFileName(newFirst)}`;
    // The last acknowledged frame, nothing valid after it: without the mark, a torn tail cut silently.
    after.flipBit(newest, frameOf(after, newest, newFirst + 10).offset + 26, 2);
    const err = refusal(() => open(after));
    expect(err.lost).toMatchObject({
      expectedLastSeq: newFirst + 10,
      foundLastSeq: newFirst + 9,
      expectedSegment: segmentFileName(newFirst),
      expectedSegmentPresent: true,
    });
  });

  it('a WAL that never rolled over: its only segment cut after acknowledged records and a crash refuses the open', async () => {
    const disk = new SimDisk(202);
    const wal = open(disk, { highWaterMarkIntervalMs: 20 });
    await appendAcked(wal, 1, 12);
    await markReaches(disk, 12);
    const after = disk.crash({ mode: 'lose' });
    const seg = `${DIR}/${segmentFileName(1)}`;
    after.truncateFile(seg, frameOf(after, seg, 9).offset);
    const err = refusal(() => open(after));
    expect(err.lost).toMatchObject({ expectedLastSeq: 12, foundLastSeq: 8 });
  });

  it('no acknowledgement, no write; while acknowledging, at most one write per interval, on the thread pool', async () => {
    const disk = new MarkCountingDisk(203);
    const wal = open(disk, { highWaterMarkIntervalMs: 40, segmentBytesMax: 8 * 1024 * 1024 });
    await appendAcked(wal, 1, 5);
    await markReaches(disk, 5);
    const marks = disk.asyncMarkRenames;
    const syncs = disk.stats.syncs;
    await sleep(250); // six intervals without an append
    expect(disk.asyncMarkRenames).toBe(marks);
    expect(disk.stats.syncs).toBe(syncs);
    expect(markOf(disk)).toBe(5);
    // Steady acknowledgements for a while: a write per interval at most, each naming an acknowledged seq.
    const t0 = performance.now();
    let seq = 6;
    let markAboveAcked = 0;
    while (performance.now() - t0 < 300) {
      expect(await wal.append(payloadFor('r', seq))).toBe(seq);
      if ((markOf(disk) ?? 0) > seq) markAboveAcked++;
      seq++;
    }
    const elapsedMs = performance.now() - t0;
    const writes = disk.asyncMarkRenames - marks;
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(Math.floor(elapsedMs / 40) + 1);
    expect(markAboveAcked).toBe(0);
    await wal.close();
    expect(markOf(disk)).toBe(seq - 1);
    expect(disk.syncMarkRenames).toBe(0); // rollover, periodic and close writes: all off the event loop
  });

  it('the rollover write goes through the thread-pool seam too', async () => {
    const disk = new MarkCountingDisk(204);
    const wal = open(disk, { highWaterMarkIntervalMs: 0 });
    const newFirst = await writeThroughRollover(wal, disk, 1);
    await markReaches(disk, newFirst);
    expect(disk.asyncMarkRenames).toBe(1);
    expect(disk.syncMarkRenames).toBe(0);
    await appendAcked(wal, newFirst + 1, newFirst + 3);
    await sleep(30);
    expect(markOf(disk)).toBe(newFirst); // interval 0: not periodic
    await wal.close();
    expect(markOf(disk)).toBe(newFirst + 3);
  });

  it('a failed mark write is a warning; the next interval writes it', async () => {
    const disk = new SimDisk(205);
    const warnings: string[] = [];
    const wal = open(disk, { highWaterMarkIntervalMs: 15, onWarning: (m) => warnings.push(m) });
    await appendAcked(wal, 1, 3);
    await markReaches(disk, 3);
    disk.failNextSyncDir('EIO', 1, DIR);
    await appendAcked(wal, 4, 6);
    await markReaches(disk, 6);
    expect(warnings).toEqual([expect.stringMatching(/writing high-water-mark \(6\) failed, retried later/)]);
    await wal.close();
  });

  it('a commit failing while the periodic write runs: the mark names the acknowledged seq, never the handed-back ones', async () => {
    const disk = new SimDisk(206);
    const wal = open(disk, { highWaterMarkIntervalMs: 5, failureBackoffMs: 0 });
    await appendAcked(wal, 1, 5); // the acknowledgements arm the periodic write, due within 5 ms
    disk.setSyncDelayMs(30);
    disk.failNextSync('EIO', 1, (p) => !p.includes(HIGH_WATER_MARK_FILE));
    const failing = [6, 7, 8, 9, 10].map((i) =>
      wal.append(payloadFor('r', i)).then(
        () => 'acked',
        () => 'refused',
      ),
    );
    let highest = 0;
    const watch = setInterval(() => (highest = Math.max(highest, markOf(disk) ?? 0)), 1);
    expect(await Promise.all(failing)).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
    await sleep(60); // the mark write (its syncs delayed too) has ended
    clearInterval(watch);
    highest = Math.max(highest, markOf(disk) ?? 0);
    expect(wal.durableSeq).toBe(5);
    expect(highest).toBe(5);
    const after = disk.crash({ mode: 'lose' });
    const again = open(after, { highWaterMarkIntervalMs: 0 }); // not refused: nothing acknowledged was lost
    expect(again.recovery.highWaterMark?.lastSeq).toBe(5);
    expect([...again.read()].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await again.append(payloadFor('r', 6))).toBe(6);
    await again.close();
  });

  it('commits failing and a crash at any turn: the mark never names a seq that was not acknowledged, the reopen never refuses and holds every ack', async () => {
    for (let seed = 1; seed <= 24; seed++) {
      const disk = new SimDisk(300 + seed);
      let rnd = seed * 7919;
      const next = (n: number): number => {
        rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
        return rnd % n;
      };
      const wal = open(disk, {
        highWaterMarkIntervalMs: 1,
        failureBackoffMs: 0,
        onWarning: () => undefined,
      });
      // Slow syncs for half the seeds: commits (and their failures) stay in flight across mark writes.
      if (seed % 2 === 0) disk.setSyncDelayMs(1 + next(3));
      const acked = new Map<number, string>();
      let stop = false;
      let violations = 0;
      let id = 0;
      const loop = async (): Promise<void> => {
        while (!stop) {
          const tag = `s${seed}-${id++}`;
          const payload = payloadFor(tag, id);
          try {
            const s = await wal.append(payload);
            acked.set(s, payload.toString('hex'));
          } catch {
            await new Promise((r) => setImmediate(r));
          }
        }
      };
      const loops = [loop(), loop(), loop()];
      const crashAfterTurns = 30 + next(seed % 2 === 0 ? 1500 : 400);
      for (let turn = 0; turn < crashAfterTurns; turn++) {
        await new Promise((r) => setImmediate(r));
        const k = next(40);
        if (k === 0) disk.failNextSync('EIO', 1, (p) => !p.includes(HIGH_WATER_MARK_FILE));
        else if (k === 1) disk.failNextWrite('ENOSPC', 1, (p) => !p.includes(HIGH_WATER_MARK_FILE));
        else if (k === 2) disk.failNextSyncDir('EIO', 1);
        else if (k === 3) disk.failNextSync('EIO', 1, (p) => p.endsWith('.tmp'));
        const m = markOf(disk) ?? 0;
        if (m > wal.durableSeq || (m > 0 && !acked.has(m))) violations++;
      }
      const after = disk.crash({ mode: next(2) === 0 ? 'lose' : 'tear', seed });
      stop = true;
      await Promise.allSettled(loops);
      expect(violations, `seed ${seed}`).toBe(0);
      const markAfter = readHighWaterMark(after, DIR)?.lastSeq ?? 0;
      expect(
        markAfter === 0 || acked.has(markAfter),
        `seed ${seed}: mark ${markAfter} was acknowledged`,
      ).toBe(true);
      const again = open(after, { highWaterMarkIntervalMs: 0 }); // never refused: nothing acknowledged was lost
      const found = new Map([...again.read()].map((r) => [r.seq, Buffer.from(r.payload).toString('hex')]));
      for (const [s, hex] of acked) expect(found.get(s), `seed ${seed}: acknowledged ${s}`).toBe(hex);
      await again.close();
    }
  }, 60_000);
});
