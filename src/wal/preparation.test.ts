/**
 * The background preparation of the next segment (`preallocate: background`) when it is not ready at
 * rollover: it is cancelled and the segment created inline. Its file must give its space back before the
 * inline creation needs the same amount again (a nearly full disk has room for one segment, not two), and
 * must never be left behind; a leftover from a crash is removed at the next open.
 */
import nodeFs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { openWalReadOnly } from './readOnly.ts';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';
import { HeldPreparationFs } from './testutil/heldPreparationFs.ts';
import { Wal } from './Wal.ts';

const tmp = tempDirsRemovedAfterEach('otel-audit-');

const SEGMENT_BYTES = 4096;
/** 228-byte frames after a 96-byte header: a 4 KiB segment holds 17, the 18th rolls over. */
const PER_SEGMENT = 17;
const rec = (i: number): Buffer => Buffer.from(`r-${i}`.padEnd(200, '.'));
const O = { segmentBytesMax: SEGMENT_BYTES, payloadBytesMax: 1024, preallocate: 'background' as const };
const isPrepared = (name: string): boolean => name.endsWith('.background.prealloc');
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('a background preparation cancelled at rollover', () => {
  it('gives its space back before the segment is created inline (room for one segment, not two)', async () => {
    const disk = new SimDisk(7);
    const wal = Wal.open({ ...O, dir: '/w', fs: disk });
    wal.appendSync(rec(1)); // creates segment 1 inline and starts preparing the next
    disk.setSyncDelayMs(300); // the preparation's own sync stays in flight
    await ticks(5);
    expect(disk.listFiles().filter((f) => isPrepared(path.basename(f)))).toHaveLength(1);
    for (let i = 2; i <= PER_SEGMENT; i++) wal.appendSync(rec(i));
    // Room to seal the full segment and create one more, counting the preparation's zeros as freed.
    disk.setCapacityBytes(disk.usedBytes + 1024);
    expect(wal.appendSync(rec(PER_SEGMENT + 1))).toBe(PER_SEGMENT + 1); // strict: cannot wait, rolls over
    expect(disk.listFiles().filter((f) => isPrepared(path.basename(f)))).toEqual([]);
    disk.setCapacityBytes(undefined);
    await wal.close();
    expect(disk.listFiles().filter((f) => f.endsWith('.prealloc'))).toEqual([]);
    const again = Wal.open({ ...O, dir: '/w', fs: disk });
    expect([...again.read()].map((r) => r.seq)).toEqual(
      Array.from({ length: PER_SEGMENT + 1 }, (_, i) => i + 1),
    );
    await again.close();
  });

  it('real files: its file is cut to nothing and unlinked at once, closed once its sync returns', async () => {
    const dir = tmp();
    const fs = new HeldPreparationFs(nodeFileSystem);
    const wal = Wal.open({ ...O, dir, fs });
    wal.appendSync(rec(1));
    for (let i = 0; i < 200 && !(fs.prepared && fs.prepared.size() === SEGMENT_BYTES); i++) await ticks(1);
    expect(fs.prepared?.size()).toBe(SEGMENT_BYTES); // zeros written, its sync held
    for (let i = 2; i <= PER_SEGMENT + 1; i++) wal.appendSync(rec(i)); // the last one rolls over
    expect(nodeFs.readdirSync(dir).filter(isPrepared)).toEqual([]);
    expect(fs.prepared?.size()).toBe(0);
    fs.release();
    await wal.close();
    expect(nodeFs.readdirSync(dir).filter((n) => n.endsWith('.prealloc'))).toEqual([]);
    const again = Wal.open({ ...O, dir });
    expect([...again.read()].map((r) => r.payload.toString())).toEqual(
      Array.from({ length: PER_SEGMENT + 1 }, (_, i) => rec(i + 1).toString()),
    );
    await again.close();
  });
});

describe('a prepared file left over by a crash', () => {
  it('is ignored by readers, removed by the next writer, and the log goes on past it', async () => {
    const dir = tmp();
    const wal = Wal.open({ ...O, dir });
    for (let i = 1; i <= PER_SEGMENT + 3; i++) wal.appendSync(rec(i)); // two segments
    await wal.close();
    const leftovers = ['segment-3.background.prealloc', 'segment-3.prealloc'];
    for (const name of leftovers) nodeFs.writeFileSync(path.join(dir, name), Buffer.alloc(SEGMENT_BYTES));

    const reader = openWalReadOnly({ dir });
    expect([...reader.reader.records()]).toHaveLength(PER_SEGMENT + 3);
    expect(nodeFs.readdirSync(dir)).toEqual(expect.arrayContaining(leftovers));

    const again = Wal.open({ ...O, dir });
    expect([...again.recovery.removedFiles].sort()).toEqual([...leftovers].sort());
    expect(again.recovery.corruptions).toEqual([]);
    expect(nodeFs.readdirSync(dir).filter((n) => n.endsWith('.prealloc'))).toEqual([]);
    for (let i = PER_SEGMENT + 4; i <= 2 * PER_SEGMENT + 2; i++) again.appendSync(rec(i)); // rolls over again
    await again.close();
    const last = Wal.open({ ...O, dir });
    expect([...last.read()].map((r) => r.seq)).toEqual(
      Array.from({ length: 2 * PER_SEGMENT + 2 }, (_, i) => i + 1),
    );
    await last.close();
  });
});
