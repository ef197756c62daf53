/**
 * The group commit's write on the thread pool (SegmentWriter.writeFramesAsync): what it must keep of the
 * synchronous write's guarantees — strict appends never acknowledged after a hole, the same failures,
 * no file closed under it — on the simulated disk, whose `writeAsync` lands only when it completes.
 */
import { describe, expect, it } from 'vitest';
import type { FileSystem } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { afterPowerLoss, pad, TINY_WAL } from './testutil/tinyWal.ts';
import { wrapHandles } from './testutil/wrapFs.ts';
import { Wal } from './Wal.ts';

const O = TINY_WAL;
const SEGMENT_1 = '/w/00000000000000000001.wal';
/** Lets the group commit started by the appends just made run up to its write on the thread pool. */
const commitStarted = (): Promise<void> => Promise.resolve();
const contains = (bytes: Uint8Array, s: string): boolean => Buffer.from(bytes).includes(s);

/** `disk`, with `onWriteFailed` called when a `writeAsync` fails, before its caller is told. */
function reportingFs(disk: SimDisk, onWriteFailed: () => void): FileSystem {
  return wrapHandles(disk, (h) => ({
    ...h,
    writeAsync: (d, pos) =>
      (h.writeAsync?.(d, pos) ?? Promise.resolve()).catch((err: unknown) => {
        onWriteFailed();
        throw err;
      }),
  }));
}

describe('group commit written on the thread pool', () => {
  it('writes a batch that fits in the active segment off the calling thread; durable once acknowledged', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('first', 1))).toBe(1); // creates the segment (synchronously)
    const pending = wal.appendBatch([1, 2, 3].map((i) => pad('async', i)));
    await commitStarted();
    expect(contains(disk.fileBytes(SEGMENT_1), 'async-1')).toBe(false); // not written yet
    expect(await pending).toBe(2);
    const { corruptions, records } = await afterPowerLoss(disk);
    expect(records).toEqual(['first-1', 'async-1', 'async-2', 'async-3']);
    expect(corruptions).toEqual([]);
  });

  it("writes a commit smaller than the file system's writeAsyncBytesMin on the calling thread", async () => {
    const disk = new SimDisk(7);
    Object.defineProperty(disk, 'writeAsyncBytesMin', { value: 1000 }); // as NodeFileSystem's 128 KiB
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('first', 1))).toBe(1);
    const small = wal.appendBatch([1, 2, 3, 4].map((i) => pad('small', i))); // 912 bytes
    await commitStarted();
    expect(contains(disk.fileBytes(SEGMENT_1), 'small-4')).toBe(true); // written synchronously
    await small;
    const large = wal.appendBatch([1, 2, 3, 4, 5].map((i) => pad('large', i))); // 1,140 bytes
    await commitStarted();
    expect(contains(disk.fileBytes(SEGMENT_1), 'large-1')).toBe(false); // on the thread pool
    expect(await large).toBe(6);
    await wal.close();
  });

  it('a strict append while that write is in flight writes its bytes first: nothing acknowledged follows a hole', async () => {
    const disk = new SimDisk(2);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('first', 1))).toBe(1);
    disk.setSyncDelayMs(50);
    const pending = wal.appendBatch([1, 2, 3].map((i) => pad('async', i)));
    pending.catch(() => undefined);
    await commitStarted();
    expect(contains(disk.fileBytes(SEGMENT_1), 'async-1')).toBe(false);
    expect(wal.appendSync(pad('strict', 1))).toBe(5);
    // A power loss now: the group commit's own write and sync have not completed.
    const { corruptions, records } = await afterPowerLoss(disk);
    expect(corruptions).toEqual([]);
    expect(records).toEqual(['first-1', 'async-1', 'async-2', 'async-3', 'strict-1']);
  });

  it('a strict append that rolls over while that write is in flight seals the segment after its frames', async () => {
    const disk = new SimDisk(3);
    const wal = Wal.open({ ...O, fs: disk });
    for (let i = 1; i <= 14; i++) expect(await wal.append(pad('first', i))).toBe(i);
    disk.setSyncDelayMs(50);
    const pending = wal.appendBatch([15, 16, 17].map((i) => pad('async', i))); // fills segment 1
    pending.catch(() => undefined);
    await commitStarted();
    expect(wal.appendSync(pad('strict', 18))).toBe(18); // seals segment 1, opens segment 18
    const { corruptions, records } = await afterPowerLoss(disk);
    expect(corruptions).toEqual([]);
    expect(records.length).toBe(18);
    expect(records.slice(14)).toEqual(['async-15', 'async-16', 'async-17', 'strict-18']);
  });

  it('a strict append whose rewrite of the in-flight batch fails fails that batch too, and the next one takes its numbers', async () => {
    const disk = new SimDisk(4);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('first', 1))).toBe(1);
    disk.setSyncDelayMs(50);
    const pending = wal.appendBatch([1, 2, 3].map((i) => pad('async', i)));
    let outcome = 'pending';
    pending.then(
      (seq) => (outcome = `acknowledged ${seq}`),
      (e: { code: string }) => (outcome = e.code),
    );
    await commitStarted();
    disk.failNextWrite('EIO'); // taken by the strict append's synchronous write of the batch's bytes
    expect(() => wal.appendSync(pad('strict', 1))).toThrow(expect.objectContaining({ code: 'WAL_IO' }));
    await Promise.resolve(); // its rejection handler runs (it is not waiting for its write or sync)
    expect(outcome).toBe('WAL_IO');
    expect(wal.appendSync(pad('strict', 2))).toBe(2); // in a new segment named 2: the failed frames are leftovers
    const { corruptions, records } = await afterPowerLoss(disk);
    expect(corruptions).toEqual([]);
    expect(records).toEqual(['first-1', 'strict-2']);
  });

  it('a commit whose failed thread-pool write a strict append had written again and synced is acknowledged, not rejected', async () => {
    for (const sequencer of [false, true]) {
      const disk = new SimDisk(8);
      const wal = Wal.open({ ...O, fs: disk });
      // With a sequencer (the hash chain), rejecting it would also break the WAL (WAL_FAILED).
      if (sequencer) wal.setSequencer({ snapshot: () => 0, restore: () => undefined });
      expect(await wal.append(pad('first', 1))).toBe(1);
      disk.failNextWrite('EIO'); // taken by the group commit's writeAsync: it fails when it completes
      const pending = wal.appendBatch([2, 3, 4].map((i) => pad('group', i)));
      await commitStarted();
      expect(wal.appendSync(pad('strict', 5))).toBe(5); // writes the group's bytes again, then syncs
      expect(await pending).toBe(2);
      expect(wal.failure).toBeUndefined();
      expect(await wal.append(pad('next', 6))).toBe(6);
      await wal.close();
      const { records } = await afterPowerLoss(disk);
      expect(records).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5', 'next-6']);
    }
  });

  it('a strict append made when the write has failed but before the WAL handled it still writes its bytes first', async () => {
    // Whichever microtask after the failure the strict append runs in, it never acknowledges a record after
    // the failed write's missing bytes.
    for (let hops = 0; hops <= 8; hops++) {
      const disk = new SimDisk(9);
      const box: { wal?: Wal } = {};
      let strict: string = 'not run';
      const fs = reportingFs(disk, () => {
        let p: Promise<void> = Promise.resolve();
        for (let i = 0; i < hops; i++) p = p.then(() => undefined);
        void p.then(() => {
          try {
            strict = `acknowledged ${box.wal?.appendSync(pad('strict', hops))}`;
          } catch (err) {
            strict = `refused ${(err as { code?: string }).code}`;
          }
        });
      });
      const wal = Wal.open({ ...O, fs });
      box.wal = wal;
      expect(await wal.append(pad('first', 1))).toBe(1);
      disk.failNextWrite('EIO');
      const pending = wal.appendBatch([2, 3, 4].map((i) => pad('group', i)));
      pending.catch(() => undefined);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(strict, `hops ${hops}`).not.toBe('not run');
      const { corruptions, records } = await afterPowerLoss(disk);
      expect(corruptions, `hops ${hops}`).toEqual([]);
      if (strict.startsWith('acknowledged'))
        expect(records, `hops ${hops}: ${strict}`).toContain(`strict-${hops}`);
    }
  });

  it('a commit a strict append already made durable is acknowledged when a later strict append fails to write in its segment', async () => {
    // Thread-pool write or synchronous write (sync in flight). (A later strict append whose SYNC fails still
    // fails it: its own sync then reports the write-back error, and nothing is acknowledged after that.)
    for (const [onPool, failure] of [
      [true, 'write'],
      [false, 'write'],
    ] as const) {
      const where = `${onPool ? 'thread pool' : 'calling thread'}, ${failure} fails`;
      const disk = new SimDisk(10);
      if (!onPool) Object.defineProperty(disk, 'writeAsyncBytesMin', { value: 1 << 30 });
      const wal = Wal.open({ ...O, fs: disk });
      wal.setSequencer({ snapshot: () => 0, restore: () => undefined }); // a rejection would break the WAL
      expect(await wal.append(pad('first', 1))).toBe(1);
      disk.setSyncDelayMs(30);
      const pending = wal.appendBatch([2, 3, 4].map((i) => pad('group', i)));
      await commitStarted();
      expect(wal.appendSync(pad('strict', 5))).toBe(5); // the group's records are durable and readable now
      expect(wal.durableSeq, where).toBe(5);
      disk.failNextWrite('EIO');
      expect(() => wal.appendSync(pad('strict', 6)), where).toThrow(
        expect.objectContaining({ code: 'WAL_IO' }),
      );
      expect(await pending, where).toBe(2);
      expect(wal.failure, where).toBeUndefined();
      expect(await wal.append(pad('next', 6)), where).toBe(6);
      await wal.close();
      const { corruptions, records } = await afterPowerLoss(disk);
      expect(corruptions, where).toEqual([]);
      expect(records, where).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5', 'next-6']);
    }
  });

  it('fails like the synchronous write when the write on the thread pool fails (EIO, ENOSPC)', async () => {
    for (const failure of ['EIO', 'ENOSPC'] as const) {
      const disk = new SimDisk(5);
      // `off`: the segment grows with each write, so a full disk fails the write itself.
      const wal = Wal.open({ ...O, fs: disk, preallocate: 'off' });
      expect(await wal.append(pad('first', 1))).toBe(1);
      if (failure === 'EIO') disk.failNextWrite('EIO');
      else disk.setCapacityBytes(disk.usedBytes + 300);
      const failed = wal.appendBatch([1, 2].map((i) => pad('failed', i)));
      await expect(failed).rejects.toMatchObject({ code: failure === 'EIO' ? 'WAL_IO' : 'WAL_DISK_FULL' });
      expect(wal.status().failedBatches).toBe(1);
      expect(wal.durableSeq).toBe(1);
      disk.setCapacityBytes(undefined);
      // The numbers are given back; the next commit goes to a new segment named after them.
      expect(await wal.append(pad('next', 1))).toBe(2);
      expect(disk.listFiles()).toContain('/w/00000000000000000002.wal');
      await wal.close();
      const { corruptions, records } = await afterPowerLoss(disk);
      expect(corruptions, failure).toEqual([]);
      expect(records, failure).toEqual(['first-1', 'next-1']);
    }
  });

  it('close() does not close a file while the write of a batch that failed early is still in flight', async () => {
    const disk = new SimDisk(6);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('first', 1))).toBe(1);
    const pending = wal.appendBatch([1, 2, 3].map((i) => pad('async', i)));
    pending.catch(() => undefined);
    await commitStarted();
    disk.failNextWrite('EIO');
    expect(() => wal.appendSync(pad('strict', 1))).toThrow(expect.objectContaining({ code: 'WAL_IO' }));
    await expect(pending).rejects.toMatchObject({ code: 'WAL_IO' }); // failed early: its write still runs
    await wal.close();
    expect(disk.stats.closesWithIoInFlight).toBe(0);
  });
});
