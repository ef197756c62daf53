/**
 * The power switch must pass every FileHandle operation the WAL uses
 * through itself, so that an armed crash can land on it: a method it hid
 * (writeAsync, used by background segment preparation) silently moved the
 * WAL onto its synchronous fallback and out of the torture's reach. The
 * same for the thread-pool variants of the file system (openAsync,
 * renameAsync, removeAsync, syncDirAsync: the high-water mark's writes).
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../src/wal/fs/SimDisk.ts';
import { readHighWaterMark } from '../src/wal/HighWaterMark.ts';
import { Wal } from '../src/wal/Wal.ts';
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

  /** A disk with `/d/a` (bytes 1,2,3) durable, and a switch in front of it. */
  function setUp(): { disk: SimDisk; fs: CrashSwitchFs } {
    const disk = new SimDisk(11);
    disk.mkdirp('/d');
    disk.syncDir('/');
    const h = disk.open('/d/a', 'create');
    h.write(new Uint8Array([1, 2, 3]), 0);
    h.datasyncSync();
    h.close();
    disk.syncDir('/d');
    return { disk, fs: new CrashSwitchFs(disk) };
  }

  const outcome = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => 'resolved',
      (err: unknown) => codeOf(err),
    );

  it('passes the thread-pool calls through, each counted as one call, its handle too', async () => {
    const { fs } = setUp();
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['openAsync', () => fs.openAsync('/d/b', 'create')],
      ['renameAsync', () => fs.renameAsync('/d/b', '/d/c')],
      ['syncDirAsync', () => fs.syncDirAsync('/d')],
      ['removeAsync', () => fs.removeAsync('/d/c')],
    ];
    for (const [name, step] of steps) {
      const before = fs.calls;
      await step();
      expect([name, fs.calls]).toEqual([name, before + 1]);
    }
    const h = await fs.openAsync('/d/e', 'create');
    const before = fs.calls;
    h.write(new Uint8Array([5]), 0);
    await h.datasync();
    h.close();
    expect(fs.calls).toBe(before + 3);
  });

  it('a crash armed on a thread-pool call fails it with EIO and applies nothing of it', async () => {
    const cases: Array<[string, (fs: CrashSwitchFs) => Promise<unknown>, (d: SimDisk) => void]> = [
      ['openAsync', (fs) => fs.openAsync('/d/b', 'create'), (d) => expect(d.exists('/d/b')).toBe(false)],
      ['renameAsync', (fs) => fs.renameAsync('/d/a', '/d/c'), (d) => expect(d.exists('/d/a')).toBe(true)],
      ['removeAsync', (fs) => fs.removeAsync('/d/a'), (d) => expect(d.exists('/d/a')).toBe(true)],
      ['syncDirAsync', (fs) => fs.syncDirAsync('/d'), (d) => expect(d.exists('/d/x')).toBe(false)],
    ];
    for (const [name, call, after] of cases) {
      const { disk, fs } = setUp();
      // An entry created, not yet durable: only the directory sync would keep it.
      disk.open('/d/x', 'create').close();
      fs.arm(1, 'lose', 1);
      expect([name, await outcome(call(fs))]).toEqual([name, 'EIO']);
      expect(fs.fired).toBe(true);
      const back = fs.takeCrashed() as SimDisk;
      after(back);
      expect(back.readFile('/d/a')).toEqual(new Uint8Array([1, 2, 3]));
    }
  });

  it('a crash between the steps: a call in flight when the power fails rejects with EIO, nothing of it durable', async () => {
    const { disk, fs } = setUp();
    disk.open('/d/x', 'create').close();
    fs.arm(2, 'keep', 1);
    // Called (one call), then the power fails at the next call before the thread pool completed them.
    const rename = outcome(fs.renameAsync('/d/a', '/d/c'));
    const sync = outcome(fs.syncDirAsync('/d'));
    expect(() => fs.readDir('/d')).toThrow(/EIO/);
    expect(await rename).toBe('EIO');
    expect(await sync).toBe('EIO');
    const back = fs.takeCrashed() as SimDisk;
    expect(back.exists('/d/a')).toBe(true);
    expect(back.exists('/d/c')).toBe(false);
    expect(back.exists('/d/x')).toBe(false);
  });

  it('syncDirAsync takes syncDelayTurns like the file syncs', async () => {
    const { disk, fs } = setUp();
    fs.syncDelayTurns = 3;
    disk.open('/d/x', 'create').close();
    const sync = fs.syncDirAsync('/d');
    // The power fails before the delayed sync reached the disk: nothing became durable.
    const crashed = disk.crash({ mode: 'lose', seed: 1 });
    fs.retire();
    expect(await outcome(sync)).toBe('EIO');
    expect(crashed.exists('/d/x')).toBe(false);
  });

  it("the WAL writes its high-water mark through the switch's thread-pool calls, and a crash among them leaves a whole mark", async () => {
    const SHAPE = { segmentBytesMax: 4096, payloadBytesMax: 1024, highWaterMarkIntervalMs: 0 } as const;
    const used = { openAsync: 0, renameAsync: 0, removeAsync: 0, syncDirAsync: 0 };
    const markSteps = async (): Promise<{ fs: CrashSwitchFs; disk: SimDisk; wal: Wal }> => {
      const disk = new SimDisk(5);
      const fs = new CrashSwitchFs(disk);
      for (const k of Object.keys(used) as Array<keyof typeof used>) {
        const f = fs[k].bind(fs) as (...a: never[]) => Promise<unknown>;
        (fs as unknown as Record<string, unknown>)[k] = (...a: never[]) => {
          used[k]++;
          return f(...a);
        };
      }
      const wal = Wal.open({ dir: '/w', fs, ...SHAPE });
      return { fs, disk, wal };
    };
    const { wal } = await markSteps();
    // Enough records to roll over: the commit that created a segment writes the mark at once.
    for (let i = 0; i < 40; i++) await wal.append(new Uint8Array(200).fill(i));
    await wal.close();
    expect(used.openAsync).toBeGreaterThan(0);
    expect(used.renameAsync).toBeGreaterThan(0);
    expect(used.syncDirAsync).toBeGreaterThan(0);
    // Every instant of a mark write: the crashed disk holds the old mark or the new one, never a torn one.
    let crashesInMarkWrite = 0;
    for (let n = 1; n < 400; n++) {
      const { fs, wal: w } = await markSteps();
      fs.arm(n, 'tear', n);
      try {
        for (let i = 0; i < 40; i++) await w.append(new Uint8Array(200).fill(i));
        await w.close();
      } catch {
        // the power failed
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      const back = fs.takeCrashed();
      if (back === undefined) break;
      if (/writeHighWaterMarkAsync/.test(fs.firedAt)) crashesInMarkWrite++;
      expect(() => readHighWaterMark(back, '/w')).not.toThrow();
      // The mark never names more than the disk kept: the WAL reopens without refusing.
      const reopened = Wal.open({ dir: '/w', fs: back, ...SHAPE });
      await reopened.close();
    }
    expect(crashesInMarkWrite).toBeGreaterThan(0);
  });
});
