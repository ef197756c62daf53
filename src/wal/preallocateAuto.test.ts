/**
 * `preallocate: auto` (the default): the first segment is zero-filled; the next one is prepared in the
 * background only while commits are small (writes averaging < AUTO_PREPARE_BYTES_PER_WRITE_MAX once the
 * active segment is an eighth full); with large commits segments grow instead; and a rollover never
 * waits for a preparation that is not ready. Every record stays readable in each case.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { AUTO_PREPARE_BYTES_PER_WRITE_MAX } from './SegmentWriter.ts';
import { HeldPreparationFs } from './testutil/heldPreparationFs.ts';
import { Wal } from './Wal.ts';

const sizeOf = (disk: SimDisk, p: string): number => {
  const h = disk.open(p, 'read');
  try {
    return h.size();
  } finally {
    h.close();
  }
};
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const segmentFiles = (disk: SimDisk): string[] =>
  disk
    .listFiles()
    .filter((p) => p.endsWith('.wal'))
    .sort();
const segments = (wal: Wal): number => wal.status().segments;
const preparations = (disk: SimDisk): string[] =>
  disk.listFiles().filter((p) => p.endsWith('.background.prealloc'));

afterEach(() => {
  vi.useRealTimers();
});

describe('preallocate: auto', () => {
  it('is the default', () => {
    const wal = Wal.open({ dir: '/w', fs: new SimDisk(1) });
    expect(wal.options.preallocate).toBe('auto');
    void wal.close();
  });

  it('small commits: the next segment is prepared in the background and starts full size', async () => {
    const segmentBytesMax = 64 * 1024;
    const disk = new SimDisk(3);
    const wal = Wal.open({ dir: '/w', fs: disk, segmentBytesMax, payloadBytesMax: 1024 });
    const payload = (i: number): Buffer => Buffer.from(`small-${i}`.padEnd(200, '.'));
    let seq = 0;
    await wal.append(payload(++seq));
    // The first segment is filled inline (nothing is known of the load yet). Sealing cuts a segment's
    // unused zeros, so sizes are looked at while a segment is the active one.
    expect(sizeOf(disk, segmentFiles(disk)[0] as string)).toBe(segmentBytesMax);
    // One record per commit: ~228 bytes per write, far below the threshold.
    while (preparations(disk).length === 0 && seq < 2000) await wal.append(payload(++seq));
    expect(preparations(disk)).toHaveLength(1);
    const decidedAt = seq;
    // Decided once the segment is an eighth full, not before.
    expect(decidedAt * 228).toBeGreaterThanOrEqual(segmentBytesMax / 8 - 228);
    await ticks(20); // the preparation's zeros and sync (immediate on SimDisk) finish
    while (segments(wal) < 2) await wal.append(payload(++seq));
    const second = segmentFiles(disk)[1] as string;
    expect(sizeOf(disk, second)).toBe(segmentBytesMax); // the prepared file, zero-filled
    expect(preparations(disk)).toEqual([]);
    await wal.close();
    const again = Wal.open({ dir: '/w', fs: disk, segmentBytesMax, payloadBytesMax: 1024 });
    expect([...again.read()].map((r) => r.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    await again.close();
  });

  it('large commits: no segment is prepared or zero-filled after the first; they grow', async () => {
    const segmentBytesMax = 1024 * 1024;
    const disk = new SimDisk(4);
    const wal = Wal.open({ dir: '/w', fs: disk, segmentBytesMax, payloadBytesMax: 2048 });
    const perBatch = Math.ceil((AUTO_PREPARE_BYTES_PER_WRITE_MAX * 1.5) / 1000);
    let seq = 0;
    const batch = (): Buffer[] =>
      Array.from({ length: perBatch }, () => Buffer.from(`large-${++seq}`.padEnd(1000, '.')));
    await wal.appendBatch(batch());
    expect(sizeOf(disk, segmentFiles(disk)[0] as string)).toBe(segmentBytesMax); // the first: filled
    while (segments(wal) < 3) {
      await wal.appendBatch(batch());
      await ticks(3); // a preparation, had one started, gets to create its file
      expect(preparations(disk)).toEqual([]);
    }
    const files = segmentFiles(disk);
    expect(files).toHaveLength(3);
    // The active (third) segment holds one batch: its file is only as long as what was written.
    expect(sizeOf(disk, files[2] as string)).toBeLessThan(segmentBytesMax / 4);
    await wal.close();
    const again = Wal.open({ dir: '/w', fs: disk, segmentBytesMax, payloadBytesMax: 2048 });
    expect([...again.read()].map((r) => r.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    await again.close();
  });

  it('a rollover does not wait for a preparation that is not ready (background waits up to 1 s)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const run = async (preallocate: 'auto' | 'background'): Promise<boolean> => {
      const segmentBytesMax = 16 * 1024;
      const sim = new SimDisk(5);
      const disk = new HeldPreparationFs(sim);
      const wal = Wal.open({ dir: '/w', fs: disk, segmentBytesMax, payloadBytesMax: 1024, preallocate });
      const payload = (i: number): Buffer => Buffer.from(`p-${i}`.padEnd(200, '.'));
      let seq = 0;
      while (preparations(sim).length === 0 && seq < 500) await wal.append(payload(++seq));
      expect(preparations(sim)).toHaveLength(1);
      await ticks(5); // its zeros are written; its sync is held
      let rolled = false;
      for (let i = 0; i < 200 && !rolled; i++) {
        const p = wal.append(payload(++seq));
        let settled = false;
        void p.then(() => (settled = true));
        await ticks(10);
        if (!settled) {
          expect(segments(wal)).toBe(1); // waiting for the preparation, before the rollover
          disk.release();
          vi.advanceTimersByTime(1000);
          await p;
          await wal.close();
          return false;
        }
        rolled = segments(wal) > 1;
      }
      expect(rolled).toBe(true);
      expect(preparations(sim)).toEqual([]); // the unready one was given up, its file unlinked
      disk.release();
      await ticks(10);
      await wal.close();
      expect(sim.listFiles().filter((f) => f.endsWith('.prealloc'))).toEqual([]);
      const again = Wal.open({ dir: '/w', fs: sim, segmentBytesMax, payloadBytesMax: 1024 });
      expect([...again.read()].map((r) => r.seq)).toEqual(Array.from({ length: seq }, (_, k) => k + 1));
      await again.close();
      return true;
    };
    expect(await run('auto')).toBe(true);
    expect(await run('background')).toBe(false); // the control: background waits for it
  });
});
