/**
 * Close and the high-water mark: a mark write on the thread pool when close is called ends, and the last
 * mark is durable, before the lock is released — no mark write outlives the writer's hold on the directory.
 */
import { expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { HIGH_WATER_MARK_FILE, readHighWaterMark } from './HighWaterMark.ts';
import { payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';

/** Logs the mark's steps on the thread pool (at completion) and the lock's removal, in order. */
class StepLoggingDisk extends SimDisk {
  readonly steps: string[] = [];
  override renameAsync(from: string, to: string): Promise<void> {
    return super.renameAsync(from, to).then(() => {
      if (to.endsWith(`/${HIGH_WATER_MARK_FILE}`)) this.steps.push('mark renamed');
    });
  }
  override syncDirAsync(p: string): Promise<void> {
    return super.syncDirAsync(p).then(() => void this.steps.push('dir synced'));
  }
  override remove(p: string): void {
    super.remove(p);
    if (p.endsWith('/LOCK')) this.steps.push('lock released');
  }
}

it('close during an in-flight mark write: both writes end, durable, before the lock is released', async () => {
  const disk = new StepLoggingDisk(921);
  const wal = Wal.open({
    dir: DIR,
    fs: disk,
    segmentBytesMax: 64 * 1024,
    payloadBytesMax: 1024,
    highWaterMarkIntervalMs: 1,
  });
  for (let i = 1; i <= 3; i++) expect(await wal.append(payloadFor('r', i))).toBe(i);
  disk.setSyncDelayMs(20); // the mark's syncs too: the periodic write is in flight when close is called
  await new Promise((r) => setTimeout(r, 3));
  const last = wal.append(payloadFor('r', 4));
  const closing = wal.close();
  expect(await last).toBe(4);
  await closing;
  const released = disk.steps.indexOf('lock released');
  expect(released).toBe(disk.steps.length - 1);
  expect(disk.steps.filter((s) => s === 'mark renamed').length).toBeGreaterThanOrEqual(1);
  expect(disk.steps[released - 1]).toBe('dir synced');
  expect(readHighWaterMark(disk.crash({ mode: 'lose' }), DIR)?.lastSeq).toBe(4);
});
