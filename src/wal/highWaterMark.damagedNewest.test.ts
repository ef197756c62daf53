/**
 * A damaged newest segment (corruption with intact records after it, not a torn write) is kept as found by a
 * write-mode open (not rewritten, not synced), and the writer's numbering goes on after every record found
 * in it. Records a crash left unsynced there were never acknowledged: the high-water mark must not name them
 * (a later power loss takes them, and the next open would refuse) until a record after them is durable.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import { readHighWaterMark } from './HighWaterMark.ts';
import type { WalOptions } from './options.ts';
import { frameLocations, payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';
const OPTS: Omit<WalOptions, 'dir' | 'fs'> = {
  segmentBytesMax: 1024 * 1024,
  payloadBytesMax: 1024,
  preallocate: 'inline',
  indexIntervalBytes: 1024,
  highWaterMarkIntervalMs: 0,
};
const open = (disk: SimDisk): Wal => Wal.open({ dir: DIR, fs: disk, ...OPTS });
const markOf = (disk: SimDisk): number | undefined => readHighWaterMark(disk, DIR)?.lastSeq;

describe('WAL high-water mark, damaged newest segment', () => {
  it('unsynced records after damage: open and close, then a power loss: the next open is not refused', async () => {
    const disk = new SimDisk(902);
    const first = open(disk);
    for (let i = 1; i <= 30; i++) expect(await first.append(payloadFor('r', i))).toBe(i);
    await first.close();
    const second = open(disk);
    for (let i = 31; i <= 41; i++) expect(await second.append(payloadFor('r', i))).toBe(i);
    // A kill -9 (what was written stays) ...
    const killed = disk.crash({ mode: 'keep', namespace: 'keep' });
    const seg = `${DIR}/${segmentFileName(31)}`;
    const locs = frameLocations(killed.fileBytes(seg));
    expect(locs.map((x) => x.seq)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]);
    // ... right after record 41 was written, before its sync (never acknowledged): on disk it is zeros.
    const f41 = locs[10] as { offset: number; frameBytes: number };
    const frame41 = Buffer.from(killed.fileBytes(seg).subarray(f41.offset, f41.offset + f41.frameBytes));
    killed.zeroRange(seg, f41.offset, f41.frameBytes);
    const h = killed.open(seg, 'readwrite');
    h.write(frame41, f41.offset);
    h.close();
    // And bit rot in an acknowledged record before it: corruption, not a torn write.
    killed.flipBit(seg, (locs[3]?.offset ?? 0) + 26, 2);
    const reopened = open(killed);
    expect(reopened.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 34, seqTo: 34 }),
    ]);
    expect(reopened.status().nextSeq).toBe(42);
    await reopened.close();
    expect(markOf(killed)).toBe(30); // not 41: the open left it as found, unsynced
    const afterPowerLoss = killed.crash({ mode: 'lose' });
    const again = open(afterPowerLoss); // refused before the fix: "records 41..41 are missing"
    expect([...again.read({ onDamage: () => undefined })].map((r) => r.seq).at(-1)).toBe(40);
    // Once a record after them is durable, the mark moves on.
    expect(await again.append(payloadFor('r', 41))).toBe(41);
    await again.close();
    expect(markOf(afterPowerLoss)).toBe(41);
  });
});
