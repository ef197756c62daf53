/**
 * A segment creation that fails after both of its handles are open (SegmentWriter.open): when closing the
 * second handle throws too, the first must still be closed. Closed in one step, the first close's failure
 * skipped the second: one descriptor leaked per failed creation, and the WAL retries creation after every
 * `failureBackoffMs` while the disk fails — a process that runs out of descriptors.
 */
import { describe, expect, it } from 'vitest';
import type { FileHandle, FileSystem } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';
import { passThroughHandle } from './testutil/wrapFs.ts';

const DIR = '/wal';

/** Passes everything to `inner`; counts the handles of `.prealloc` files left open; can fail their closes. */
function trackingFs(inner: FileSystem): FileSystem & { unclosed: () => number; failReadwriteClose: boolean } {
  const open = new Set<object>();
  const self = {
    failReadwriteClose: false,
    unclosed: () => open.size,
    identity: inner.identity,
    open: (p: string, mode: Parameters<FileSystem['open']>[1]): FileHandle => {
      const h = inner.open(p, mode);
      if (!p.endsWith('.prealloc')) return h;
      const token = {};
      open.add(token);
      return {
        // Synchronous writes only, as the handle had before the WAL wrote on the thread pool.
        ...passThroughHandle(h, { writeAsync: false }),
        close: () => {
          open.delete(token);
          h.close();
          if (mode === 'readwrite' && self.failReadwriteClose) {
            throw Object.assign(new Error('close failed'), { code: 'EIO' });
          }
        },
      };
    },
    readDir: (p: string) => inner.readDir(p),
    mkdirp: (p: string) => inner.mkdirp(p),
    exists: (p: string) => inner.exists(p),
    rename: (from: string, to: string) => inner.rename(from, to),
    remove: (p: string) => inner.remove(p),
    syncDir: (p: string) => inner.syncDir(p),
    readFile: (p: string) => inner.readFile(p),
  };
  return self;
}

describe('segment creation failing, its handles failing to close', () => {
  it('closes every handle it opened', async () => {
    const disk = new SimDisk(402);
    const fs = trackingFs(disk);
    const wal = Wal.open({
      dir: DIR,
      fs,
      segmentBytesMax: 16 * 1024,
      payloadBytesMax: 1024,
      preallocate: 'inline',
      indexIntervalBytes: 1024,
      failureBackoffMs: 0,
      highWaterMarkIntervalMs: 0,
    });
    fs.failReadwriteClose = true;
    disk.failNextSyncDir('EIO', 1, DIR);
    await expect(wal.append(payloadFor('r', 1))).rejects.toMatchObject({
      message: expect.stringMatching(/cannot create segment/),
    });
    expect(fs.unclosed()).toBe(0);
    fs.failReadwriteClose = false;
    await wal.close();
  });
});
