/**
 * A read-only open (verify, replay) of a WAL a writer is using: a segment listed and then removed by the
 * writer before the reader opens it (a failed commit's segment, an empty newest one) is no reason to fail
 * the read: the open starts over and reads the WAL as it is now.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import { openWalReadOnly } from './readOnly.ts';
import { payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';

/** Lists a segment that is not there, `times` times: as if the writer removed it right after the listing. */
class VanishingSegmentDisk extends SimDisk {
  phantoms = 0;
  override readDir(p: string): string[] {
    const names = super.readDir(p);
    if (p !== DIR || this.phantoms === 0) return names;
    this.phantoms--;
    return [...names, segmentFileName(1_000_000)];
  }
}

describe('read-only open of a live WAL', () => {
  it('a segment removed between the listing and its open: the open starts over and reports nothing', async () => {
    const disk = new VanishingSegmentDisk(911);
    const wal = Wal.open({
      dir: DIR,
      fs: disk,
      segmentBytesMax: 64 * 1024,
      payloadBytesMax: 1024,
      highWaterMarkIntervalMs: 0,
    });
    for (let i = 1; i <= 5; i++) expect(await wal.append(payloadFor('r', i))).toBe(i);
    disk.phantoms = 1;
    const ro = openWalReadOnly({ dir: DIR, fs: disk });
    expect(ro.report.corruptions).toEqual([]);
    expect(ro.report.lastSeq).toBe(5);
    // One that keeps vanishing is the I/O error it is.
    disk.phantoms = 10;
    expect(() => openWalReadOnly({ dir: DIR, fs: disk })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    await wal.close();
  });
});
