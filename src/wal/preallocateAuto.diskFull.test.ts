/**
 * `preallocate: auto` under large commits lets segments after the first grow, so a full disk can cut a
 * commit's write short in the middle of a segment (with preallocation it could only fail a segment's
 * creation). The commit fails as a whole (WAL_DISK_FULL, not acknowledged), the segment it reached is
 * abandoned, and after a crash every acknowledged record is read back, in order, intact.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { Wal } from './Wal.ts';

const OPTS = {
  dir: '/w',
  segmentBytesMax: 1024 * 1024,
  payloadBytesMax: 2048,
  failureBackoffMs: 0,
  preallocate: 'auto' as const,
};
/** 100 records of ~1 KB: ~100 KB per commit, above AUTO_PREPARE_BYTES_PER_WRITE_MAX (segments grow). */
const batchOf = (from: number): Buffer[] =>
  Array.from({ length: 100 }, (_, i) => Buffer.from(`rec-${from + i}-`.padEnd(1000, 'x')));

describe('preallocate auto: a full disk in a growing segment', () => {
  for (const freed of [true, false]) {
    it(`fails the commit whole; acknowledged records survive a crash (space ${freed ? 'freed' : 'still full'})`, async () => {
      const disk = new SimDisk(21);
      const wal = Wal.open({ ...OPTS, fs: disk });
      const acked: string[] = [];
      const failures: string[] = [];
      const append = async (from: number): Promise<boolean> => {
        const batch = batchOf(from);
        try {
          await wal.appendBatch(batch);
        } catch (err) {
          expect(err).toMatchObject({ code: 'WAL_DISK_FULL', retryable: true });
          failures.push((err as Error).message);
          return false;
        }
        acked.push(...batch.map((b) => b.toString()));
        return true;
      };
      let next = 1;
      const nextFrom = (): number => (next += 100);
      // Into the second segment (the first was filled; the second grows) and a few commits in.
      while (wal.status().segments < 2) expect(await append(nextFrom())).toBe(true);
      for (let i = 0; i < 2; i++) expect(await append(nextFrom())).toBe(true);
      expect(disk.listFiles().filter((p) => p.endsWith('.prealloc'))).toEqual([]);
      // Room for half a commit: the next write is cut short in the growing segment.
      disk.setCapacityBytes(disk.usedBytes + 50_000);
      expect(await append(nextFrom())).toBe(false);
      // A record write cut short in the segment, not a segment's creation.
      expect(failures[0]).toMatch(/^WAL write failed/);
      expect(await append(nextFrom())).toBe(false);
      if (freed) {
        disk.setCapacityBytes(undefined);
        expect(await append(nextFrom())).toBe(true);
        expect(await append(nextFrom())).toBe(true);
      }
      const after = disk.crash({ mode: 'lose' });
      const again = Wal.open({ ...OPTS, fs: after });
      const read = [...again.read()];
      expect(read.map((r) => r.seq)).toEqual(acked.map((_, i) => i + 1));
      expect(read.map((r) => r.payload.toString())).toEqual(acked);
      expect(again.recovery.corruptions).toEqual([]);
      await again.close();
    });
  }
});
