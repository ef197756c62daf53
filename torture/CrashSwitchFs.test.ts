/**
 * The power switch must pass every FileHandle operation the WAL uses
 * through itself, so that an armed crash can land on it: a method it hid
 * (writeAsync, used by background segment preparation) silently moved the
 * WAL onto its synchronous fallback and out of the torture's reach.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../src/wal/fs/SimDisk.ts';
import { CrashSwitchFs } from './CrashSwitchFs.ts';

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

describe('CrashSwitchFs', () => {
  it('passes writeAsync through, counted as a call, and a crash armed on it fails it with EIO', async () => {
    const disk = new SimDisk(7);
    disk.mkdirp('/d');
    disk.syncDir('/');
    const fs = new CrashSwitchFs(disk);
    const h = fs.open('/d/f', 'create');
    expect(h.writeAsync).toBeTypeOf('function');
    const before = fs.calls;
    await h.writeAsync?.(new Uint8Array([1, 2, 3]), 0);
    expect(fs.calls).toBe(before + 1);
    h.datasyncSync();
    fs.syncDir('/d');
    fs.arm(1, 'keep', 1);
    const failed = await (h.writeAsync?.(new Uint8Array([9, 9, 9]), 0) ?? Promise.resolve()).then(
      () => 'resolved',
      (err: unknown) => codeOf(err),
    );
    expect(failed).toBe('EIO');
    expect(fs.fired).toBe(true);
    expect(fs.takeCrashed()?.readFile('/d/f')).toEqual(new Uint8Array([1, 2, 3]));
  });
});
