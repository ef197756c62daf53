/**
 * The lock of a live writer is never taken over because reading it failed for a reason of the environment
 * (EMFILE, EACCES, ENOMEM, EIO...): two writers in one directory would corrupt the WAL. Only a lock file
 * that is not one a writer finished (torn or not JSON, too large, not a regular file, gone) is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errnoCode, fsError } from './fs/FileSystem.ts';
import { NodeFileSystem } from './fs/NodeFileSystem.ts';
import { LOCK_FILE, WalLock } from './lock.ts';
import { makeTempDir } from './testutil/tmpdir.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The real file system, with readFile failing with `code` (the same identity: the same directory). */
function failingReads(code: string): NodeFileSystem {
  const nfs = new NodeFileSystem();
  return Object.assign(Object.create(nfs) as NodeFileSystem, {
    readFile: (p: string): Uint8Array => {
      throw fsError(code, 'open', p);
    },
  });
}

describe('WalLock: a lock that cannot be read', () => {
  it.each(['EMFILE', 'EACCES', 'EIO'])('%s reading a live lock: refused, the lock stays', (code) => {
    const { dir, cleanup } = makeTempDir('otel-audit-lockread-');
    cleanups.push(cleanup);
    const first = WalLock.acquire(new NodeFileSystem(), dir);
    cleanups.unshift(() => first.release());
    const before = fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8');
    let thrown: unknown;
    try {
      WalLock.acquire(failingReads(code), dir).release();
    } catch (err) {
      thrown = err;
    }
    expect(errnoCode(thrown)).toBe(code);
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(before);
  });

  it('a torn lock file (not JSON) is still stale: taken over', () => {
    const { dir, cleanup } = makeTempDir('otel-audit-lockread-');
    cleanups.push(cleanup);
    fs.writeFileSync(path.join(dir, LOCK_FILE), '{"pid": 12');
    const lock = WalLock.acquire(new NodeFileSystem(), dir);
    lock.release();
  });
});
