/**
 * A segment whose creation fails at the directory sync, after its rename (SegmentWriter.open): the empty
 * file must not stay under its final name. A later directory sync would make it durable, and when the
 * failed batch's numbers go to a segment with a lower first seq (a batch in flight failing too), the next
 * open let it shadow that segment's acknowledged records from its first seq on (found by the high-water
 * mark's fault test: 82 acknowledged records reported as a missing segment after a crash).
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';

function segmentsOf(disk: SimDisk): string[] {
  return disk
    .listFiles()
    .filter((p) => /\/\d{20}\.wal$/.test(p))
    .sort();
}

describe('segment creation failing at the directory sync', () => {
  it('leaves no segment file under its final name; the records that follow are all read back', async () => {
    const disk = new SimDisk(401);
    const wal = Wal.open({
      dir: DIR,
      fs: disk,
      segmentBytesMax: 16 * 1024,
      payloadBytesMax: 1024,
      preallocate: 'inline',
      indexIntervalBytes: 1024,
      failureBackoffMs: 0,
      highWaterMarkIntervalMs: 0,
    });
    const acked: number[] = [];
    let seq = 1;
    while (segmentsOf(disk).length < 2) acked.push(await wal.append(payloadFor('r', seq++)));
    await new Promise((r) => setTimeout(r, 20)); // the rollover's mark write (thread pool) has ended
    // The next rollover's segment: renamed into place, then its directory sync fails.
    const before = segmentsOf(disk);
    disk.failNextSyncDir('EIO', 1, DIR);
    let refused: unknown;
    for (let n = 0; refused === undefined && n < 1000; n++) {
      try {
        acked.push(await wal.append(payloadFor('r', seq)));
        seq++;
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toMatchObject({
      code: 'WAL_IO',
      message: expect.stringMatching(/cannot create segment/),
    });
    expect(segmentsOf(disk)).toEqual(before);
    for (let i = 0; i < 5; i++) acked.push(await wal.append(payloadFor('r', seq++)));
    await wal.close();
    const after = disk.crash({ mode: 'lose' });
    const again = Wal.open({ dir: DIR, fs: after, segmentBytesMax: 16 * 1024, payloadBytesMax: 1024 });
    expect(again.recovery.corruptions).toEqual([]);
    expect([...again.read()].map((r) => r.seq)).toEqual(acked);
    await again.close();
  });
});
