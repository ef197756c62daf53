import { describe, it, expect } from 'vitest';
import { errnoCode } from './FileSystem.ts';
import type { FileHandle } from './FileSystem.ts';
import { SECTOR_SIZE, SimDisk } from './SimDisk.ts';
import type { CrashMode } from './SimDisk.ts';

const MODES: CrashMode[] = ['lose', 'keep', 'tear'];

function bytes(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return errnoCode(err) ?? 'not an errno error';
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(() => undefined).catch((err: unknown) => errnoCode(err));
}

/** A disk with a durable /d/f holding `durable`; returns the still-open handle. */
function diskWithFile(durable: Uint8Array, seed = 1): { disk: SimDisk; h: FileHandle } {
  const disk = new SimDisk(seed);
  disk.mkdirp('/d');
  disk.syncDir('/');
  const h = disk.open('/d/f', 'create');
  h.write(durable, 0);
  h.datasyncSync();
  disk.syncDir('/d');
  return { disk, h };
}

/** 16 durable sectors of 0xAA, all overwritten un-synced with 0xBB, plus 8 appended sectors of 0xCC. */
function tornFile(seed: number): Uint8Array {
  const { disk, h } = diskWithFile(bytes(16 * SECTOR_SIZE, 0xaa), 1);
  h.write(bytes(16 * SECTOR_SIZE, 0xbb), 0);
  h.write(bytes(8 * SECTOR_SIZE, 0xcc), 16 * SECTOR_SIZE);
  const after = disk.crash({ mode: 'tear', seed });
  const got = after.fileBytes('/d/f');
  after.open('/d/f', 'readwrite').truncate(24 * SECTOR_SIZE); // re-growing must not resurrect cut bytes
  expect(after.fileBytes('/d/f').subarray(got.length)).toEqual(new Uint8Array(24 * SECTOR_SIZE - got.length));
  return got;
}

describe('SimDisk file operations', () => {
  it('reads back writes, grows with zeros, truncates, and reads 0 at EOF', () => {
    const disk = new SimDisk();
    const h = disk.open('/f', 'create');
    h.write(text('hello'), 0);
    h.write(text('!'), 10);
    expect(h.size()).toBe(11);
    expect(Array.from(disk.readFile('/f'))).toEqual([...text('hello'), 0, 0, 0, 0, 0, ...text('!')]);
    const buf = new Uint8Array(8);
    expect(h.read(buf, 2, 6, 1)).toBe(6);
    expect(Array.from(buf.subarray(2))).toEqual([...text('ello'), 0, 0]);
    expect(h.read(buf, 0, 8, 11)).toBe(0);
    h.truncate(3);
    h.truncate(6);
    expect(Array.from(disk.fileBytes('/f'))).toEqual([...text('hel'), 0, 0, 0]);
    h.write(bytes(300_000, 7), 6); // capacity doubling
    expect(h.size()).toBe(300_006);
    expect(disk.fileBytes('/f')[300_005]).toBe(7);
  });

  it('reports Node errno codes', () => {
    const disk = new SimDisk();
    disk.mkdirp('/d');
    const h = disk.open('/d/f', 'create');
    expect(codeOf(() => disk.open('/d/f', 'create'))).toBe('EEXIST');
    expect(codeOf(() => disk.open('/d/g', 'read'))).toBe('ENOENT');
    expect(codeOf(() => disk.open('/d/g', 'readwrite'))).toBe('ENOENT');
    expect(codeOf(() => disk.open('/nope/g', 'create'))).toBe('ENOENT');
    expect(codeOf(() => disk.open('/d/f/g', 'create'))).toBe('ENOTDIR');
    expect(codeOf(() => disk.open('/d', 'read'))).toBe('EISDIR');
    expect(codeOf(() => disk.readDir('/nope'))).toBe('ENOENT');
    expect(codeOf(() => disk.readFile('/d/g'))).toBe('ENOENT');
    expect(codeOf(() => disk.remove('/d/g'))).toBe('ENOENT');
    expect(codeOf(() => disk.remove('/d'))).toBe('EISDIR');
    expect(codeOf(() => disk.rename('/d/g', '/d/h'))).toBe('ENOENT');
    expect(codeOf(() => disk.syncDir('/nope'))).toBe('ENOENT');
    expect(codeOf(() => disk.mkdirp('/d/f'))).toBe('EEXIST');
    const r = disk.open('/d/f', 'read');
    expect(codeOf(() => r.write(text('x'), 0))).toBe('EBADF');
    expect(codeOf(() => r.truncate(0))).toBe('EBADF');
    h.close();
    h.close(); // idempotent, like NodeFileHandle
    expect(codeOf(() => h.write(text('x'), 0))).toBe('EBADF');
    expect(codeOf(() => h.read(new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    expect(codeOf(() => h.datasyncSync())).toBe('EBADF');
    expect(codeOf(() => disk.open('/d/f', 'readwrite').write(text('x'), -1))).toBe('EINVAL');
  });

  it('keeps handles bound to the inode across rename and remove', () => {
    const disk = new SimDisk();
    const h = disk.open('/a', 'create');
    disk.rename('/a', '/b');
    h.write(text('xy'), 0);
    expect(disk.readFile('/b')).toEqual(text('xy'));
    disk.remove('/b');
    h.write(text('z'), 2);
    expect(h.size()).toBe(3);
    expect(disk.exists('/b')).toBe(false);
    expect(disk.listFiles()).toEqual([]);
  });

  it('lists directories in a deterministic, unsorted order', () => {
    const disk = new SimDisk(5);
    disk.mkdirp('/w/sub');
    const names = Array.from({ length: 20 }, (_, i) => `seg-${String(i).padStart(4, '0')}`);
    for (const n of names) disk.open(`/w/${n}`, 'create').close();
    const listed = disk.readDir('/w');
    expect([...listed].sort()).toEqual([...names, 'sub'].sort());
    expect(listed).not.toEqual([...listed].sort());
    expect(disk.readDir('/w')).toEqual(listed);
    expect(disk.listFiles()).toEqual(names.map((n) => `/w/${n}`));
    expect(disk.exists('w/sub')).toBe(true); // relative paths resolve against '/'
  });

  it('resolves async syncs asynchronously, honouring the sync delay (reset by a crash)', async () => {
    const { disk, h } = diskWithFile(text('a'));
    let done = false;
    const p = h.datasync().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await p;
    disk.setSyncDelayMs(30);
    const start = performance.now();
    await h.fsync();
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    disk.setCapacityBytes(5);
    const after = disk.crash();
    const done2 = after.open('/d/f', 'readwrite').datasync();
    expect(await Promise.race([done2, new Promise((r) => setTimeout(() => r('slow'), 20))])).toBeUndefined();
    expect(codeOf(() => after.open('/d/f', 'readwrite').write(bytes(5, 1), 1))).toBe('ENOSPC'); // still limited
  });

  it('counts operations in stats', () => {
    const { disk, h } = diskWithFile(text('abc'));
    h.write(text('de'), 3);
    h.datasyncSync();
    expect(disk.stats).toMatchObject({ opens: 1, writes: 2, bytesWritten: 5, syncs: 2, syncDirs: 2 });
  });
});

describe('SimDisk crash: file data', () => {
  it('keeps synced data in every mode, via every sync method', async () => {
    for (const mode of MODES) {
      for (let seed = 0; seed < 5; seed++) {
        const { disk, h } = diskWithFile(bytes(1000, 1), seed);
        h.write(bytes(500, 2), 1000);
        await h.datasync();
        h.write(bytes(10, 3), 0);
        await h.fsync();
        h.truncate(1400);
        h.datasyncSync();
        const after = disk.crash({ mode });
        const expected = new Uint8Array(1400).fill(1);
        expected.fill(2, 1000).fill(3, 0, 10);
        expect(after.readFile('/d/f')).toEqual(expected);
      }
    }
  });

  it("loses un-synced writes and truncates under 'lose', keeps them under 'keep'", () => {
    for (const mode of ['lose', 'keep'] as const) {
      const { disk, h } = diskWithFile(bytes(2000, 1));
      h.write(bytes(100, 2), 700);
      h.write(bytes(50, 4), 720); // the same sector again: its durable bytes must stay the original ones
      h.write(bytes(3000, 3), 2000);
      h.truncate(4000);
      const expected =
        mode === 'lose'
          ? bytes(2000, 1)
          : bytes(4000, 3).fill(1, 0, 2000).fill(2, 700, 800).fill(4, 720, 770);
      expect(disk.durableBytes('/d/f')).toEqual(bytes(2000, 1));
      expect(disk.crash({ mode }).readFile('/d/f')).toEqual(expected);
    }
    const { disk, h } = diskWithFile(bytes(2000, 1));
    h.truncate(10);
    expect(disk.crash({ mode: 'lose' }).readFile('/d/f')).toEqual(bytes(2000, 1));
  });

  it("tears un-synced data per 512-byte sector under 'tear', reproducibly from the seed", () => {
    const seen = new Set<string>();
    const sizes = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const got = tornFile(seed);
      sizes.add(got.length);
      expect(got.length).toBeGreaterThanOrEqual(16 * SECTOR_SIZE);
      expect(got.length).toBeLessThanOrEqual(24 * SECTOR_SIZE);
      const pattern: number[] = [];
      for (let s = 0; s * SECTOR_SIZE < got.length; s++) {
        const sector = got.subarray(s * SECTOR_SIZE, (s + 1) * SECTOR_SIZE);
        const first = sector[0] ?? 0;
        expect(sector.every((b) => b === first)).toBe(true); // never half old, half new
        expect(s < 16 ? [0xaa, 0xbb] : [0x00, 0xcc]).toContain(first); // grown but unwritten: zeros
        pattern.push(first);
      }
      seen.add(pattern.join(','));
      expect(tornFile(seed)).toEqual(got);
    }
    expect(seen.size).toBe(40); // different seeds, different outcomes
    expect(sizes.has(16 * SECTOR_SIZE)).toBe(true);
    expect(sizes.has(24 * SECTOR_SIZE)).toBe(true);
    expect([...sizes].some((n) => n % SECTOR_SIZE !== 0)).toBe(true);
    const withOld = tornFile(3);
    expect(withOld.subarray(0, 16 * SECTOR_SIZE).some((b) => b === 0xaa)).toBe(true);
    expect(withOld.subarray(0, 16 * SECTOR_SIZE).some((b) => b === 0xbb)).toBe(true);
  });

  it('derives crash choices from the constructor seed', () => {
    const run = (seed: number): Uint8Array => {
      const { disk, h } = diskWithFile(bytes(32 * SECTOR_SIZE, 1), seed);
      h.write(bytes(32 * SECTOR_SIZE, 2), 0);
      return disk.crash().fileBytes('/d/f');
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('makes nothing durable by a sync still in flight at the crash, which rejects with EIO', async () => {
    const { disk, h } = diskWithFile(text('old'));
    h.write(text('new'), 0);
    const pending = asyncCodeOf(h.datasync());
    const after = disk.crash({ mode: 'lose' });
    expect(await pending).toBe('EIO');
    expect(after.readFile('/d/f')).toEqual(text('old'));
  });

  it('survives many crash cycles of a large file cheaply', () => {
    let { disk, h } = diskWithFile(bytes(300_000, 1));
    for (let i = 0; i < 2000; i++) {
      h.write(bytes(100, i & 0xff), (i * 4099) % 299_000);
      if (i % 2 === 0) h.datasyncSync();
      disk = disk.crash({ mode: MODES[i % 3] });
      h = disk.open('/d/f', 'readwrite');
    }
    expect(h.size()).toBe(300_000);
  });
});

describe('SimDisk crash: namespace', () => {
  it('applies the thread-pool variants when they complete; syncDirAsync makes the entries durable then, or nothing after a crash', async () => {
    const { disk } = diskWithFile(text('x'));
    const opened = disk.openAsync('/d/a', 'create');
    expect(disk.exists('/d/a')).toBe(false); // not yet: a turn later
    const a = await opened;
    a.write(text('data'), 0);
    a.datasyncSync();
    a.close();
    const renamed = disk.renameAsync('/d/a', '/d/b');
    expect(disk.exists('/d/b')).toBe(false);
    await renamed;
    expect(disk.exists('/d/b')).toBe(true);
    await disk.syncDirAsync('/d');
    expect(disk.listDurableFiles()).toEqual(['/d/b', '/d/f']);
    await disk.removeAsync('/d/b');
    expect(disk.exists('/d/b')).toBe(false);
    disk.failNextSyncDir('EIO', 1, '/d');
    await expect(disk.syncDirAsync('/d')).rejects.toMatchObject({ code: 'EIO' });
    expect(disk.listDurableFiles()).toEqual(['/d/b', '/d/f']);
    const inFlight = disk.syncDirAsync('/d');
    const after = disk.crash({ mode: 'lose' });
    await expect(inFlight).rejects.toMatchObject({ code: 'EIO' });
    expect(after.listFiles()).toEqual(['/d/b', '/d/f']);
    await expect(disk.renameAsync('/d/f', '/d/g')).rejects.toMatchObject({ code: 'EIO' });
  });

  it('drops an un-dir-synced file even if its data was synced; keeps a dir-synced one with durable data', () => {
    const { disk } = diskWithFile(text('x'));
    const b = disk.open('/d/b', 'create');
    b.write(text('never synced'), 0);
    disk.open('/d/c', 'create');
    expect(disk.listDurableFiles()).toEqual(['/d/f']);
    disk.syncDir('/d');
    const a = disk.open('/d/a', 'create');
    a.write(text('data'), 0);
    a.datasyncSync();
    const after = disk.crash({ mode: 'lose' });
    expect(after.listFiles()).toEqual(['/d/b', '/d/c', '/d/f']);
    expect(after.readFile('/d/b')).toEqual(new Uint8Array(0));
    expect(after.readFile('/d/c')).toEqual(new Uint8Array(0));
  });

  it('undoes an un-synced rename over an existing file, and keeps a synced one', () => {
    for (const sync of [false, true]) {
      const { disk, h } = diskWithFile(text('target'));
      const tmp = disk.open('/d/tmp', 'create');
      tmp.write(text('fresh'), 0);
      tmp.datasyncSync();
      disk.syncDir('/d');
      disk.rename('/d/tmp', '/d/f');
      h.write(text('T'), 0); // the replaced inode is still writable through its handle
      expect(disk.readFile('/d/f')).toEqual(text('fresh'));
      if (sync) disk.syncDir('/d');
      const after = disk.crash({ mode: 'keep' });
      expect(after.listFiles()).toEqual(sync ? ['/d/f'] : ['/d/f', '/d/tmp']);
      expect(after.readFile('/d/f')).toEqual(sync ? text('fresh') : text('Target'));
    }
  });

  it('undoes an un-synced removal with the durable content, and keeps a synced one', () => {
    for (const sync of [false, true]) {
      const { disk, h } = diskWithFile(text('kept'));
      h.write(text('lost'), 0);
      disk.remove('/d/f');
      expect(disk.exists('/d/f')).toBe(false);
      if (sync) disk.syncDir('/d');
      const after = disk.crash({ mode: 'keep' });
      expect(after.exists('/d/f')).toBe(!sync);
      if (!sync) expect(after.readFile('/d/f')).toEqual(text('lost'));
    }
    const { disk, h } = diskWithFile(text('kept'));
    h.close();
    disk.remove('/d/f');
    expect(disk.usedBytes).toBe(0);
    const after = disk.crash({ mode: 'lose' });
    expect(after.readFile('/d/f')).toEqual(text('kept'));
    expect(after.usedBytes).toBe(4);
    after.remove('/d/f');
    expect(after.usedBytes).toBe(0);
  });

  it('needs syncDir(parent) for a directory made by mkdirp', () => {
    const disk = new SimDisk();
    disk.mkdirp('/a/b');
    disk.syncDir('/a');
    disk.open('/a/b/f', 'create').datasyncSync();
    disk.syncDir('/a/b');
    expect(disk.crash().exists('/a')).toBe(false);
    const disk2 = new SimDisk();
    disk2.mkdirp('/a/b');
    for (const d of ['/', '/a', '/a/b']) disk2.syncDir(d);
    disk2.open('/a/b/f', 'create');
    disk2.syncDir('/a/b');
    expect(disk2.crash().listFiles()).toEqual(['/a/b/f']);
  });

  it("keeps all un-synced entry changes with namespace: 'keep'", () => {
    const { disk } = diskWithFile(text('x'));
    disk.mkdirp('/e');
    disk.open('/e/g', 'create');
    disk.rename('/d/f', '/d/f2');
    expect(disk.crash({ namespace: 'keep' }).listFiles()).toEqual(['/d/f2', '/e/g']);
  });
});

describe('SimDisk after a crash', () => {
  it('kills the old instance and its handles with EIO; the new one is independent', async () => {
    const { disk, h } = diskWithFile(text('abc'));
    const after = disk.crash();
    expect(after.identity).not.toBe(disk.identity);
    expect(after.identity).toMatch(/^sim-\d+$/);
    const calls: (() => unknown)[] = [
      () => disk.open('/d/f', 'read'),
      () => disk.readFile('/d/f'),
      () => disk.readDir('/d'),
      () => disk.exists('/d/f'),
      () => disk.rename('/d/f', '/d/g'),
      () => disk.syncDir('/d'),
      () => disk.crash(),
      () => disk.stats,
      () => h.write(text('x'), 0),
      () => h.read(new Uint8Array(1), 0, 1, 0),
      () => h.size(),
      () => h.datasyncSync(),
      () => h.close(),
    ];
    for (const call of calls) expect(codeOf(call)).toBe('EIO');
    expect(await asyncCodeOf(h.datasync())).toBe('EIO');
    expect(await asyncCodeOf(h.fsync())).toBe('EIO');
    expect(after.readFile('/d/f')).toEqual(text('abc'));
    expect(after.listFiles()).toEqual(['/d/f']);
  });
});

describe('SimDisk fault injection', () => {
  it('fsyncgate: data of a failed sync is never made durable by a later successful sync', async () => {
    for (const mode of MODES) {
      const { disk, h } = diskWithFile(bytes(SECTOR_SIZE, 1));
      h.write(bytes(SECTOR_SIZE, 2), 0);
      h.write(bytes(SECTOR_SIZE, 3), SECTOR_SIZE);
      disk.failNextSync();
      expect(await asyncCodeOf(h.datasync())).toBe('EIO');
      await h.datasync();
      h.datasyncSync();
      expect(disk.readFile('/d/f')).toEqual(bytes(2 * SECTOR_SIZE, 3).fill(2, 0, SECTOR_SIZE)); // page cache
      const after = disk.crash({ mode });
      // the size became durable with the later sync, the data never did: old bytes, zeros past the old end
      expect(after.readFile('/d/f')).toEqual(bytes(2 * SECTOR_SIZE, 0).fill(1, 0, SECTOR_SIZE));
      expect(after.stats.failedSyncs).toBe(0);
    }
  });

  it('reports a write-back error once per handle (errseq): the failing sync, then every other open handle', async () => {
    const { disk, h } = diskWithFile(bytes(SECTOR_SIZE, 1));
    const other = disk.open('/d/f', 'readwrite');
    disk.setSyncDelayMs(10);
    h.write(bytes(SECTOR_SIZE, 2), 0);
    disk.failNextSync();
    const failing = asyncCodeOf(h.datasync()); // the write-back fails now; this sync reports it when it completes
    h.write(bytes(SECTOR_SIZE, 3), SECTOR_SIZE);
    h.datasyncSync(); // same handle, concurrent: success, although sector 0 was lost (fsyncgate)
    expect(codeOf(() => other.datasyncSync())).toBe('EIO'); // another handle reports the error once
    other.datasyncSync();
    expect(await failing).toBe('EIO');
    const late = disk.open('/d/f', 'readwrite'); // opened after the error: not told
    late.datasyncSync();
    const after = disk.crash({ mode: 'lose' });
    expect(after.readFile('/d/f')).toEqual(bytes(2 * SECTOR_SIZE, 3).fill(1, 0, SECTOR_SIZE));
  });

  it('writeAsync takes effect when it completes; a crash first may apply it (not in lose mode) and it rejects with EIO', async () => {
    const { disk, h } = diskWithFile(bytes(10, 1));
    const done = h.writeAsync?.(bytes(10, 2), 0);
    expect(disk.readFile('/d/f')).toEqual(bytes(10, 1)); // not yet
    await done;
    expect(disk.readFile('/d/f')).toEqual(bytes(10, 2));
    disk.failNextWrite('ENOSPC');
    expect(await asyncCodeOf(h.writeAsync?.(bytes(10, 3), 0) ?? Promise.resolve())).toBe('ENOSPC');
    h.datasyncSync();
    const pending = h.writeAsync?.(bytes(10, 4), 0) ?? Promise.resolve();
    const after = disk.crash({ mode: 'lose' });
    expect(await asyncCodeOf(pending)).toBe('EIO');
    expect(after.readFile('/d/f')).toEqual(bytes(10, 2));
    // In flight at a crash, a write may have reached the page cache: `keep` keeps it, `tear` keeps or drops each sector.
    const { disk: d2, h: h2 } = diskWithFile(bytes(10, 1));
    h2.datasyncSync();
    const pending2 = h2.writeAsync?.(bytes(10, 4), 0) ?? Promise.resolve();
    const kept = d2.crash({ mode: 'keep' });
    expect(await asyncCodeOf(pending2)).toBe('EIO');
    expect(kept.readFile('/d/f')).toEqual(bytes(10, 4));
    const seen = new Set<number>();
    for (let seed = 1; seed <= 16; seed++) {
      const { disk: d3, h: h3 } = diskWithFile(bytes(2 * SECTOR_SIZE, 1));
      h3.datasyncSync();
      const p3 = h3.writeAsync?.(bytes(2 * SECTOR_SIZE, 4), 0) ?? Promise.resolve();
      const torn = d3.crash({ mode: 'tear', seed }).readFile('/d/f');
      expect(await asyncCodeOf(p3)).toBe('EIO');
      for (const s of [0, SECTOR_SIZE]) {
        expect([1, 4]).toContain(torn[s]);
        expect(torn.subarray(s, s + SECTOR_SIZE).every((b) => b === torn[s])).toBe(true);
      }
      seen.add((torn[0] as number) * 10 + (torn[SECTOR_SIZE] as number));
    }
    expect(seen.size).toBeGreaterThan(2); // sectors kept and lost independently
  });

  it('counts a handle closed while its writeAsync is in flight; that write fails with EBADF', async () => {
    const { disk, h } = diskWithFile(bytes(10, 1));
    const pending = h.writeAsync?.(bytes(10, 2), 0) ?? Promise.resolve();
    h.close();
    expect(disk.stats.closesWithIoInFlight).toBe(1);
    expect(await asyncCodeOf(pending)).toBe('EBADF');
    expect(disk.readFile('/d/f')).toEqual(bytes(10, 1));
  });

  it('fsyncgate: rewriting the lost data and syncing makes it durable', () => {
    const { disk, h } = diskWithFile(bytes(100, 1));
    h.write(bytes(100, 2), 0);
    disk.failNextSync('EIO', 2);
    expect(codeOf(() => h.datasyncSync())).toBe('EIO');
    expect(codeOf(() => h.datasyncSync())).toBe('EIO');
    h.write(bytes(100, 2), 0);
    h.datasyncSync();
    expect(disk.stats.failedSyncs).toBe(2);
    expect(disk.crash({ mode: 'lose' }).readFile('/d/f')).toEqual(bytes(100, 2));
  });

  it('filters sync faults by path and supports other codes', () => {
    const { disk, h } = diskWithFile(text('f'));
    const g = disk.open('/d/g', 'create');
    disk.failNextSync('ENOSPC', 1, 'd/g');
    h.datasyncSync();
    expect(codeOf(() => g.datasyncSync())).toBe('ENOSPC');
    g.datasyncSync();
    disk.failNextSync('EIO', 1, (p) => p.endsWith('/f'));
    expect(codeOf(() => h.datasyncSync())).toBe('EIO');
  });

  it('fails writes and syncDir on demand, writing nothing / making nothing durable', () => {
    const { disk, h } = diskWithFile(text('abc'));
    disk.failNextWrite();
    expect(codeOf(() => h.write(text('xyz'), 0))).toBe('EIO');
    h.write(text('q'), 3);
    expect(disk.readFile('/d/f')).toEqual(text('abcq'));
    disk.open('/d/g', 'create');
    disk.failNextSyncDir('EIO', 1, '/d');
    expect(codeOf(() => disk.syncDir('/d'))).toBe('EIO');
    expect(disk.listDurableFiles()).toEqual(['/d/f']);
  });

  it('ENOSPC: short write up to capacity, overwrites allowed, space comes back when freed', () => {
    const { disk, h } = diskWithFile(bytes(600, 1));
    disk.setCapacityBytes(1000);
    expect(disk.usedBytes).toBe(600);
    expect(codeOf(() => h.write(bytes(500, 2), 600))).toBe('ENOSPC');
    expect(h.size()).toBe(1000); // the 400 bytes that fitted were written
    expect(disk.fileBytes('/d/f')[999]).toBe(2);
    h.write(bytes(1000, 3), 0); // overwrite inside the file
    expect(codeOf(() => h.write(text('x'), 1000))).toBe('ENOSPC');
    expect(codeOf(() => h.truncate(1001))).toBe('ENOSPC');
    const handlesOfG = [disk.open('/d/g', 'create')];
    expect(codeOf(() => handlesOfG[0]?.write(text('x'), 0))).toBe('ENOSPC');
    h.truncate(900);
    handlesOfG.push(disk.open('/d/g', 'readwrite'));
    handlesOfG[1]?.write(bytes(100, 4), 0);
    disk.remove('/d/g'); // open handle: still allocated
    expect(codeOf(() => h.write(text('x'), 900))).toBe('ENOSPC');
    disk.setCapacityBytes(1001);
    h.write(text('x'), 900);
    disk.setCapacityBytes(undefined);
    h.write(bytes(10_000, 5), 901);
    expect(disk.usedBytes).toBe(10_901 + 100);
    for (const g of handlesOfG) g.close(); // the removed file's space is freed at its last close
    expect(disk.usedBytes).toBe(10_901);
  });
});

describe('SimDisk corruption helpers', () => {
  it('damages current and durable content alike', () => {
    const { disk, h } = diskWithFile(bytes(2000, 0x10));
    h.write(bytes(10, 0x20), 5); // un-synced: current differs from durable in sector 0
    disk.flipBit('/d/f', 5, 0);
    disk.flipBit('/d/f', 1000, 7);
    disk.zeroRange('/d/f', 512, 100);
    disk.overwrite('/d/f', 1500, text('AB'));
    const cur = disk.fileBytes('/d/f');
    const dur = disk.durableBytes('/d/f');
    const zeroed = new Uint8Array(102).fill(0x10, 0, 1).fill(0x10, 101);
    expect([cur[5], dur[5], cur[6], dur[6]]).toEqual([0x21, 0x11, 0x20, 0x10]);
    expect([cur[1000], dur[1000]]).toEqual([0x90, 0x90]);
    expect([cur.subarray(511, 613), dur.subarray(511, 613)]).toEqual([zeroed, zeroed]);
    expect([cur[1500], dur[1501], cur[1502]]).toEqual([0x41, 0x42, 0x10]);
    expect(() => disk.overwrite('/d/f', 1999, text('AB'))).toThrow(RangeError);
    const after = disk.crash({ mode: 'lose' });
    expect(after.readFile('/d/f')).toEqual(dur);
  });

  it('corrupts data lost to fsyncgate in one file without leaking into another', () => {
    const { disk } = diskWithFile(new Uint8Array(0));
    disk.open('/d/g', 'create');
    disk.syncDir('/d');
    for (const p of ['/d/f', '/d/g']) {
      const h = disk.open(p, 'readwrite');
      h.write(bytes(10, 9), 0);
      disk.failNextSync();
      expect(codeOf(() => h.datasyncSync())).toBe('EIO');
      h.datasyncSync(); // the size becomes durable, the data never does: zeros
    }
    disk.flipBit('/d/f', 3, 0);
    const after = disk.crash({ mode: 'lose' });
    expect(after.readFile('/d/f')).toEqual(new Uint8Array(10).fill(1, 3, 4));
    expect(after.readFile('/d/g')).toEqual(new Uint8Array(10));
  });

  it('truncates both states and removes files durably', () => {
    const { disk, h } = diskWithFile(bytes(2000, 1));
    h.write(bytes(100, 2), 1900);
    disk.truncateFile('/d/f', 700);
    expect(disk.fileBytes('/d/f')).toEqual(bytes(700, 1));
    expect(disk.durableBytes('/d/f')).toEqual(bytes(700, 1));
    disk.truncateFile('/d/f', 800);
    expect(disk.durableBytes('/d/f')).toEqual(bytes(800, 0).fill(1, 0, 700));
    expect(disk.crash({ mode: 'keep' }).readFile('/d/f')).toEqual(bytes(800, 0).fill(1, 0, 700));

    const d2 = diskWithFile(text('seg')).disk;
    d2.removeFileDurably('/d/f');
    expect(d2.exists('/d/f')).toBe(false);
    expect(codeOf(() => d2.removeFileDurably('/d/f'))).toBe('ENOENT');
    expect(d2.crash().listFiles()).toEqual([]);
  });
});
