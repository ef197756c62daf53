/**
 * `readFile` with a size bound: the small files read whole (a cursor, the lock) are not loaded when a huge
 * file sits under their name (a mistake or a hostile directory): EFBIG, which the callers treat as a
 * damaged cursor or an unreadable lock, as before, without the memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorStore } from '../CursorStore.ts';
import { makeTempDir } from '../testutil/tmpdir.ts';
import { Wal } from '../Wal.ts';
import { NodeFileSystem } from './NodeFileSystem.ts';
import { SimDisk } from './SimDisk.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tempDir(): string {
  const { dir, cleanup } = makeTempDir('otel-audit-readfile-');
  cleanups.push(cleanup);
  return dir;
}

describe('readFile with bytesMax', () => {
  it('NodeFileSystem: a file over the bound is refused with EFBIG, one at it is read', () => {
    const dir = tempDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 7));
    const nfs = new NodeFileSystem();
    expect(() => nfs.readFile(file, 32)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
    expect(nfs.readFile(file, 1 << 20).length).toBe(1 << 20);
    expect(nfs.readFile(file).length).toBe(1 << 20);
  });

  it('NodeFileSystem: the bound holds for the bytes read, not the size fstat reports', () => {
    // A file whose fstat size is not what a read returns (procfs reports 0; a file grown between the
    // fstat and the read): the bound applies to what is read, so such a file is refused, not loaded whole.
    const dir = tempDir();
    const link = path.join(dir, 'cursor');
    fs.symlinkSync('/proc/self/maps', link);
    expect(fs.statSync(link).size).toBe(0);
    const nfs = new NodeFileSystem();
    expect(() => nfs.readFile(link, 32)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
    expect(nfs.readFile(link).length).toBeGreaterThan(32);
  });

  it('SimDisk: the same', () => {
    const disk = new SimDisk(1);
    disk.mkdirp('/d');
    const h = disk.open('/d/f', 'create');
    h.write(Buffer.alloc(4096, 1), 0);
    h.close();
    expect(() => disk.readFile('/d/f', 32)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
    expect(disk.readFile('/d/f', 4096).length).toBe(4096);
  });

  it('a huge file under a cursor name is a corrupt cursor (not loaded)', async () => {
    const dir = tempDir();
    const wal = Wal.open({ dir, preallocate: 'off' });
    await wal.append(Buffer.from('x'));
    const store = new CursorStore(new NodeFileSystem(), dir, () => wal.durableSeq);
    await store.commit('c', 1);
    expect(store.get('c')).toBe(1);
    fs.writeFileSync(path.join(dir, 'cursors', 'c.cursor'), Buffer.alloc(8 << 20, 1));
    expect(() => store.get('c')).toThrow(expect.objectContaining({ code: 'WAL_CURSOR_CORRUPT' }));
    await wal.close();
  });

  it('a huge file under the lock name is a stale lock: the writer takes it over', async () => {
    const dir = tempDir();
    const first = Wal.open({ dir, preallocate: 'off' });
    await first.append(Buffer.from('x'));
    await first.close();
    fs.writeFileSync(path.join(dir, 'LOCK'), Buffer.alloc(4 << 20, 0x7b));
    const wal = Wal.open({ dir, preallocate: 'off' });
    expect(await wal.append(Buffer.from('y'))).toBe(2);
    await wal.close();
  });
});

describe('NodeFileSystem.openAsync', () => {
  it('refuses what is not a regular file, as open does (a directory under a file name)', async () => {
    const dir = tempDir();
    const sub = path.join(dir, 'not-a-file');
    fs.mkdirSync(sub);
    const nfs = new NodeFileSystem();
    expect(() => nfs.open(sub, 'read')).toThrow(expect.objectContaining({ code: 'ESPIPE' }));
    await expect(nfs.openAsync(sub, 'read')).rejects.toMatchObject({ code: 'ESPIPE' });
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const h = await nfs.openAsync(file, 'read');
    h.close();
  });
});
