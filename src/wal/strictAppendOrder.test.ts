/**
 * A strict append (`appendSync`, `appendDeferredSync`) made while earlier appends wait for room in a full
 * queue (`whenQueueFull: 'block'`) takes its number after theirs: numbers follow the order the appends were
 * called (docs/guarantees.md "Sequence numbers"). It used to write only what was queued plus itself, so it
 * overtook the waiting appends, which were numbered after it.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { pad, text, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';

describe('a strict append while appends wait for room in the queue', () => {
  it('is numbered after the waiting appends, and everything is durable in call order', async () => {
    const disk = new SimDisk(7);
    const wal = Wal.open({ ...TINY_WAL, fs: disk, queueRecordsMax: 2, whenQueueFull: 'block' });
    expect(await wal.append(pad('first', 1))).toBe(1);
    disk.setSyncDelayMs(30); // the next commit's sync stays in flight while the queue fills
    const inFlight = wal.append(pad('committing', 2));
    await new Promise((resolve) => setImmediate(resolve)); // its write is done, its sync in flight
    const queued = [wal.append(pad('queued', 3)), wal.append(pad('queued', 4))];
    const waiting = [wal.append(pad('waiting', 5)), wal.append(pad('waiting', 6))];
    expect(wal.status().queuedRecords).toBe(2);
    const strict = wal.appendSync(pad('strict', 7));
    expect(strict).toBe(7);
    expect(await inFlight).toBe(2);
    expect(await Promise.all(queued)).toEqual([3, 4]);
    expect(await Promise.all(waiting)).toEqual([5, 6]);
    await wal.close();
    const again = Wal.open({ ...TINY_WAL, fs: disk.crash({ mode: 'lose' }) });
    expect([...again.read()].map((r) => text(r.payload))).toEqual([
      'first-1',
      'committing-2',
      'queued-3',
      'queued-4',
      'waiting-5',
      'waiting-6',
      'strict-7',
    ]);
    await again.close();
  });
});
