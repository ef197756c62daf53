/**
 * A failed sync while sealing names the segment by its file name. The segment's handles keep the path
 * they were opened with, and a segment made from a preallocated file was opened under its temporary name
 * (`segment-<n>.prealloc`, renamed since): operators were told about a file that does not exist.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { pad, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';

describe('a sync failing while a segment is sealed', () => {
  it("names the segment's file, not the temporary file it was preallocated as", async () => {
    const disk = new SimDisk(3);
    const wal = Wal.open({ ...TINY_WAL, fs: disk }); // preallocate: inline
    for (let i = 1; i <= 17; i++) expect(wal.appendSync(pad('r', i))).toBe(i); // segment 1 is full
    disk.failNextSync('EIO'); // taken by the seal's first sync at the rollover
    let thrown: unknown;
    try {
      wal.appendSync(pad('r', 18));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    const message = String((thrown as Error).message);
    expect(message).toContain('00000000000000000001.wal');
    expect(message).not.toContain('.prealloc');
    await wal.close().catch(() => undefined);
  });
});
