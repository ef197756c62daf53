/**
 * One named test per corruption scenario, over the simulated disk: each shows
 * what recovery reports and that every intact record stays readable.
 */
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { frameLocations, payloadFor } from './testutil/frames.ts';
import { SMALL_WAL } from './testutil/smallWal.ts';
import { Wal } from './Wal.ts';
import type { WalOptions } from './options.ts';
import { segmentFileName } from './format.ts';

const DIR = '/wal';
const SMALL: Omit<WalOptions, 'dir' | 'fs'> = SMALL_WAL;

/** Appends `n` records one commit each (every record acknowledged); returns the open WAL. */
async function writeAcked(disk: SimDisk, n: number, opts: Partial<WalOptions> = {}): Promise<Wal> {
  const wal = Wal.open({ dir: DIR, fs: disk, ...SMALL, ...opts });
  for (let i = 1; i <= n; i++) await wal.append(payloadFor('r', i));
  return wal;
}

function reopen(disk: SimDisk, opts: Partial<WalOptions> = {}): Wal {
  return Wal.open({ dir: DIR, fs: disk, ...SMALL, ...opts });
}

function seqsOf(wal: Wal): number[] {
  return [...wal.read({ onDamage: () => undefined })].map((r) => r.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const first = `${DIR}/${segmentFileName(1)}`;

describe('WAL recovery: named corruption scenarios', () => {
  it('torn tail: a torn final write is truncated and reported, every acknowledged record is kept', async () => {
    const disk = new SimDisk(1);
    disk.setSyncDelayMs(1000);
    const wal = Wal.open({ dir: DIR, fs: disk, ...SMALL });
    disk.setSyncDelayMs(0);
    for (let i = 1; i <= 10; i++) await wal.append(payloadFor('r', i));
    disk.setSyncDelayMs(10_000);
    const unacked = [11, 12, 13, 14].map((i) => wal.append(payloadFor('r', i)).catch(() => -1));
    await new Promise((r) => setImmediate(r)); // the batch is written; its sync is in flight
    const after = disk.crash({ mode: 'keep' });
    void Promise.all(unacked);
    const frames = frameLocations(after.fileBytes(first));
    const f11 = frames.find((f) => f.seq === 11);
    expect(f11).toBeDefined();
    after.zeroRange(first, (f11?.offset ?? 0) + 8, 8); // tear inside the final write
    const again = reopen(after);
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails, JSON.stringify(again.recovery)).toHaveLength(1);
    expect(again.recovery.tornTails[0], JSON.stringify(again.recovery)).toMatchObject({
      discardedSeqFrom: 11,
      discardedSeqTo: 14,
    });
    expect(seqsOf(again)).toEqual(range(1, 10));
    expect(await again.append(payloadFor('r', 11))).toBe(11);
    await again.close();
  });

  it('bit flip mid-log: reported with its sequence number, quarantined, later records kept', async () => {
    const disk = new SimDisk(2);
    await writeAcked(disk, 30);
    const after = disk.crash({ mode: 'lose' });
    const f10 = frameLocations(after.fileBytes(first)).find((f) => f.seq === 10);
    after.flipBit(first, (f10?.offset ?? 0) + 30, 3);
    const again = reopen(after);
    expect(again.recovery.tornTails).toEqual([]);
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 10, seqTo: 10, segment: segmentFileName(1) }),
    ]);
    expect(again.recovery.corruptions[0]?.quarantinedAs).toMatch(/^quarantine\/.*\.corrupt$/);
    expect(after.listFiles().some((p) => p.includes('/quarantine/'))).toBe(true);
    expect(seqsOf(again)).toEqual([...range(1, 9), ...range(11, 30)]);
    expect(() => [...again.read()]).toThrow(expect.objectContaining({ code: 'WAL_CORRUPT' }));
    expect(await again.append(payloadFor('r', 31))).toBe(31);
    await again.close();
  });

  it('quarantine copies a damaged segment in chunks, byte-exact, named by its CRC (no whole-file read)', async () => {
    const disk = new SimDisk(12);
    await writeAcked(disk, 30);
    const after = disk.crash({ mode: 'lose' });
    const f10 = frameLocations(after.fileBytes(first)).find((f) => f.seq === 10);
    after.flipBit(first, (f10?.offset ?? 0) + 30, 3);
    const damaged = Buffer.from(after.fileBytes(first));
    // A segment may be up to 4 GiB: more than fs.readFileSync reads (ERR_FS_FILE_TOO_LARGE) or memory holds.
    const noWholeSegmentReads = new Proxy(after, {
      get(target, key) {
        if (key === 'readFile')
          return (p: string): Uint8Array => {
            if (p.endsWith('.wal')) throw new RangeError(`readFile of segment ${p}: file too large`);
            return target.readFile(p);
          };
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const again = Wal.open({ dir: DIR, fs: noWholeSegmentReads, ...SMALL });
    const q = again.recovery.corruptions[0]?.quarantinedAs;
    expect(q).toBe(
      `quarantine/${segmentFileName(1)}.${crc32c(damaged).toString(16).padStart(8, '0')}.corrupt`,
    );
    expect(Buffer.from(after.fileBytes(`${DIR}/${q}`)).equals(damaged)).toBe(true);
    await again.close();
  });

  it('bit flip in a sealed segment: found by full verification at open and by every reader', async () => {
    const disk = new SimDisk(3);
    const wal = await writeAcked(disk, 200);
    await wal.close();
    const f5 = frameLocations(disk.fileBytes(first)).find((f) => f.seq === 5);
    disk.flipBit(first, (f5?.offset ?? 0) + 40, 0);
    const tail = reopen(disk);
    const damage: number[] = [];
    const seen = [...tail.read({ onDamage: (d) => damage.push(d.offset) })].map((r) => r.seq);
    expect(damage).toEqual([f5?.offset]);
    expect(seen).not.toContain(5);
    expect(seen).toHaveLength(199);
    await tail.close();
    const full = reopen(disk, { verifyOnOpen: 'full' });
    expect(full.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 5, seqTo: 5 }),
    ]);
    await full.close();
  });

  it('truncated segment: the cut records are reported missing, the rest is kept', async () => {
    const disk = new SimDisk(4);
    const wal = await writeAcked(disk, 200);
    await wal.close();
    const frames = frameLocations(disk.fileBytes(first));
    const cut = frames[20];
    disk.truncateFile(first, (cut?.offset ?? 0) + 5);
    const again = reopen(disk);
    const lastInFirst = frames[frames.length - 1]?.seq ?? 0;
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({ seqFrom: cut?.seq ?? 0, seqTo: lastInFirst }),
    ]);
    const seqs = seqsOf(again);
    expect(seqs).toEqual([...range(1, (cut?.seq ?? 0) - 1), ...range(lastInFirst + 1, 200)]);
    await again.close();
  });

  it('missing segment: the gap between segments is reported with its sequence numbers', async () => {
    const disk = new SimDisk(5);
    const wal = await writeAcked(disk, 400);
    await wal.close();
    const names = disk
      .listFiles()
      .filter((p) => p.endsWith('.wal'))
      .sort();
    expect(names.length).toBeGreaterThan(3);
    const second = names[1] as string;
    const third = names[2] as string;
    const from = Number(/(\d{20})\.wal$/.exec(second)?.[1]);
    const to = Number(/(\d{20})\.wal$/.exec(third)?.[1]) - 1;
    disk.removeFileDurably(second);
    const again = reopen(disk);
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'missing-segment', seqFrom: from, seqTo: to }),
    ]);
    expect(seqsOf(again)).toEqual([...range(1, from - 1), ...range(to + 1, 400)]);
    await again.close();
  });

  it('zeroed sector in the middle of the active segment: reported, records after it kept', async () => {
    const disk = new SimDisk(6);
    await writeAcked(disk, 40);
    const after = disk.crash({ mode: 'lose' });
    // The records whose frames overlap the zeroed bytes, from the frame layout before the damage.
    const lost = frameLocations(after.fileBytes(first))
      .filter((f) => f.offset < 1024 + 512 && f.offset + f.frameBytes > 1024)
      .map((f) => f.seq);
    expect(lost.length).toBeGreaterThan(0);
    after.zeroRange(first, 1024, 512);
    const again = reopen(after);
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({
        kind: 'bad-frame',
        seqFrom: lost[0],
        seqTo: lost[lost.length - 1],
        segment: segmentFileName(1),
      }),
    ]);
    expect(again.recovery.tornTails).toEqual([]);
    expect(seqsOf(again)).toEqual(range(1, 40).filter((s) => !lost.includes(s)));
    await again.close();
  });

  it('duplicated frame: reported, each record read once', async () => {
    const disk = new SimDisk(7);
    await writeAcked(disk, 10);
    const after = disk.crash({ mode: 'lose' });
    const bytes = Buffer.from(after.fileBytes(first));
    const frames = frameLocations(bytes);
    const f4 = frames.find((f) => f.seq === 4) as { offset: number; frameBytes: number };
    const end = frames[frames.length - 1] as { offset: number; frameBytes: number };
    const dataEnd = end.offset + end.frameBytes;
    const spliced = Buffer.concat([
      bytes.subarray(0, f4.offset + f4.frameBytes),
      bytes.subarray(f4.offset, f4.offset + f4.frameBytes),
      bytes.subarray(f4.offset + f4.frameBytes, dataEnd),
    ]);
    after.overwrite(first, 0, spliced);
    const again = reopen(after);
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'duplicate', seqFrom: undefined }),
    ]);
    expect(seqsOf(again)).toEqual(range(1, 10));
    await again.close();
  });

  it('wrong magic or version in a header: reported as bad-header, frames salvaged', async () => {
    for (const [offset, bytes] of [
      [0, Buffer.from('XXXXXXXX')],
      [8, Buffer.from([9, 0])],
    ] as const) {
      const disk = new SimDisk(8);
      const wal = await writeAcked(disk, 100);
      await wal.close();
      disk.overwrite(first, offset, bytes);
      const again = reopen(disk);
      expect(again.recovery.corruptions).toEqual([
        expect.objectContaining({ kind: 'bad-header', segment: segmentFileName(1) }),
      ]);
      expect(seqsOf(again)).toEqual(range(1, 100));
      await again.close();
    }
  });
});

describe('WAL failures: fsync errors and full disks', () => {
  it('fsync failure: the batch is rejected, never acknowledged, its numbers reused in a new segment', async () => {
    const disk = new SimDisk(9);
    const wal = await writeAcked(disk, 5);
    disk.failNextSync('EIO');
    await expect(wal.append(payloadFor('r', 6))).rejects.toMatchObject({
      code: 'WAL_SYNC_FAILED',
      retryable: true,
    });
    expect(wal.durableSeq).toBe(5);
    expect(await wal.append(payloadFor('r', 6))).toBe(6);
    expect(await wal.append(payloadFor('r', 7))).toBe(7);
    const segs = disk.listFiles().filter((p) => p.endsWith('.wal'));
    expect(segs).toContain(`${DIR}/${segmentFileName(6)}`);
    const after = disk.crash({ mode: 'lose' });
    const again = reopen(after);
    expect(again.recovery.corruptions).toEqual([]);
    const recs = [...again.read()];
    expect(recs.map((r) => r.seq)).toEqual(range(1, 7));
    expect(recs.map((r) => r.payload.toString())).toEqual(
      range(1, 7).map((i) => payloadFor('r', i).toString()),
    );
    await again.close();
  });

  it('full disk: appends are refused with WAL_DISK_FULL, nothing acknowledged is damaged, appending resumes after space is freed', async () => {
    const disk = new SimDisk(10);
    const wal = await writeAcked(disk, 20, { failureBackoffMs: 0 });
    disk.setCapacityBytes(disk.usedBytes + 100);
    const results = await Promise.allSettled(range(21, 400).map((i) => wal.append(payloadFor('r', i))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'WAL_DISK_FULL',
      retryable: true,
    });
    const acked = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<number>).value);
    expect(acked).toEqual(range(21, 20 + acked.length));
    disk.setCapacityBytes(undefined);
    const next = await wal.append(payloadFor('x', 1));
    expect(next).toBe(21 + acked.length);
    await wal.close();
    const again = reopen(disk);
    expect(again.recovery.corruptions).toEqual([]);
    expect(seqsOf(again)).toEqual(range(1, next));
    await again.close();
  });
});
