/**
 * The lock released by its owner between a failed create (EEXIST) and the removal of what looked like a
 * stale lock: the removal finds nothing (ENOENT), and the next attempt takes the lock, instead of the open
 * failing with ENOENT.
 */
import { describe, expect, it } from 'vitest';
import type { FileHandle, FileSystem, OpenMode } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { LOCK_FILE, WalLock } from './lock.ts';

describe('a lock that vanishes while it is being taken over', () => {
  it('is taken on the next attempt', () => {
    const disk = new SimDisk(5);
    disk.mkdirp('/w');
    let creates = 0;
    // The first create meets a LOCK that its owner removes right after (EEXIST, then reads and the
    // removal find nothing).
    const open = (p: string, mode: OpenMode): FileHandle => {
      if (p.endsWith(LOCK_FILE) && mode === 'create' && creates++ === 0)
        throw Object.assign(new Error(`EEXIST: open '${p}'`), { code: 'EEXIST' });
      return disk.open(p, mode);
    };
    const racing = new Proxy(disk, {
      get: (target, prop): unknown => {
        if (prop === 'open') return open;
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as FileSystem;
    const lock = WalLock.acquire(racing, '/w');
    expect(creates).toBe(2);
    expect(disk.exists(`/w/${LOCK_FILE}`)).toBe(true);
    lock.release();
  });
});
