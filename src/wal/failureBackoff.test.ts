/**
 * The back-off after a failed segment creation (`failureBackoffMs`): appends fail fast until it is over,
 * and nothing that does not prove the disk healthy again ends it early.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { Wal } from './Wal.ts';

const O = {
  dir: '/w',
  segmentBytesMax: 4096,
  payloadBytesMax: 1024,
  preallocate: 'inline' as const,
  failureBackoffMs: 60_000,
};
const rec = (i: number): Buffer => Buffer.from(`r-${i}`.padEnd(200, '.'));

afterEach(() => vi.restoreAllMocks());

/** The next append must be refused at once (counted as refused), without another attempt to write. */
async function expectFailsFast(wal: Wal): Promise<void> {
  const before = wal.status();
  await expect(wal.append(rec(0))).rejects.toMatchObject({ code: 'WAL_DISK_FULL' });
  const after = wal.status();
  expect(after.failedBatches, 'no new write attempt during the back-off').toBe(before.failedBatches);
  expect(after.refusedAppends).toBe(before.refusedAppends + 1);
}

describe('WAL back-off after a failed segment creation', () => {
  it('an empty batch (a flush marker) completing does not end it', async () => {
    const disk = new SimDisk(3);
    const wal = Wal.open({ ...O, fs: disk });
    disk.setCapacityBytes(disk.usedBytes + 1024); // the first segment (4 KiB of zeros) cannot be created
    const queued = wal.append(rec(1)); // its commit is scheduled, not run yet
    // The strict append takes the queued record with it; both fail, the back-off starts.
    expect(() => wal.appendSync(rec(2))).toThrow(expect.objectContaining({ code: 'WAL_DISK_FULL' }));
    // The scheduled commit has not run yet: this marker is queued alone and committed as an empty batch.
    const flushed = wal.flush();
    await expect(queued).rejects.toMatchObject({ code: 'WAL_DISK_FULL' });
    await flushed;
    await expectFailsFast(wal);
    disk.setCapacityBytes(undefined);
    await wal.close();
  });

  it('a group commit written before the failure whose sync returns after it does not end it', async () => {
    const disk = new SimDisk(4);
    const wal = Wal.open({ ...O, fs: disk });
    // 228-byte frames after a 96-byte header: a 4 KiB segment holds 17.
    for (let i = 1; i <= 16; i++) await wal.append(rec(i));
    disk.setSyncDelayMs(30);
    const inFlight = wal.append(rec(17)); // the segment's last frame; its sync takes 30 ms
    await new Promise((r) => setImmediate(r));
    expect(wal.status().nextSeq).toBe(18); // written, sync in flight
    // Room to seal the full segment, not to create the next one.
    disk.setCapacityBytes(disk.usedBytes + 2048);
    expect(() => wal.appendSync(rec(18))).toThrow(expect.objectContaining({ code: 'WAL_DISK_FULL' }));
    expect(await inFlight).toBe(17);
    await expectFailsFast(wal);
    disk.setCapacityBytes(undefined);
    await wal.close();
  });

  it('is measured on a monotonic clock: the wall clock stepping back does not stretch it', async () => {
    const disk = new SimDisk(5);
    const wal = Wal.open({ ...O, fs: disk, failureBackoffMs: 50 });
    disk.setCapacityBytes(disk.usedBytes + 1024);
    await expect(wal.append(rec(1))).rejects.toMatchObject({ code: 'WAL_DISK_FULL' });
    await expectFailsFast(wal);
    disk.setCapacityBytes(undefined);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now - 3_600_000); // an NTP step of an hour back
    await new Promise((r) => setTimeout(r, 80));
    expect(await wal.append(rec(2))).toBe(1);
    await wal.close();
  });
});
