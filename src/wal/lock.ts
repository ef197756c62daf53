/**
 * One writer per WAL directory: a `LOCK` file created with O_EXCL holding the
 * owner's pid, host, process start time and a random token.
 *
 * A lock left by a process that died (kill -9, power loss) is stale and is
 * taken over. Liveness: another pid is checked with signal 0 and, on Linux,
 * its start time in /proc (so a recycled pid does not keep a dead lock
 * alive); our own pid is checked against the in-process registry, keyed by
 * the file system's identity, so a simulated crash (a new SimDisk) or a WAL
 * abandoned by a test can be reopened while a live WAL in this process
 * cannot be opened twice.
 */
import { randomBytes } from 'node:crypto';
import fsNode from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WalLockedError } from '../errors.ts';
import { errnoCode, type FileSystem } from './fs/FileSystem.ts';

export const LOCK_FILE = 'LOCK';
/** The most a lock file is read for (it holds one small JSON object: pid, host, start time, token). */
const LOCK_FILE_BYTES_MAX = 64 * 1024;

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly startTime: string;
  readonly token: string;
}

const held = new Set<string>();

let ownStartTime: string | undefined;

/** This process's start time, read once (it cannot change; /proc was read on every WAL open). */
function ownProcessStartTime(): string {
  ownStartTime ??= processStartTime(process.pid);
  return ownStartTime;
}

function processStartTime(pid: number): string {
  try {
    const stat = fsNode.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

export class WalLock {
  private readonly fs: FileSystem;
  private readonly file: string;
  private readonly key: string;
  private released = false;

  private constructor(fs: FileSystem, file: string, key: string) {
    this.fs = fs;
    this.file = file;
    this.key = key;
  }

  static acquire(fs: FileSystem, dir: string): WalLock {
    const file = path.join(dir, LOCK_FILE);
    const me: LockContent = {
      pid: process.pid,
      host: os.hostname(),
      startTime: ownProcessStartTime(),
      token: randomBytes(12).toString('hex'),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const h = fs.open(file, 'create');
        try {
          h.write(Buffer.from(JSON.stringify(me)), 0);
          h.datasyncSync();
        } finally {
          h.close();
        }
        fs.syncDir(dir);
        const key = `${fs.identity}:${me.token}`;
        held.add(key);
        return new WalLock(fs, file, key);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      let owner = readOwner(fs, file);
      if (!owner) {
        // Possibly created by another opener that has not written it yet: look once more before taking over.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        owner = readOwner(fs, file);
      }
      if (owner && isLive(fs, owner)) {
        throw new WalLockedError(
          owner.pid === process.pid && owner.host === os.hostname()
            ? `WAL directory ${dir} is already open in this process (pid ${owner.pid}); one writer per directory (two audit_wal exporters on one directory?)`
            : `WAL directory ${dir} is locked by pid ${owner.pid} on ${owner.host}; one writer per directory`,
        );
      }
      try {
        fs.remove(file);
      } catch (err) {
        // Gone meanwhile (its owner released it): nothing to remove, the next attempt creates it.
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      fs.syncDir(dir);
    }
    throw new WalLockedError(
      `WAL directory ${dir}: another process took the lock while a stale one was replaced`,
    );
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.key);
    try {
      this.fs.remove(this.file);
      this.fs.syncDir(path.dirname(this.file));
    } catch {
      // A lock file we cannot remove is stale by construction: its token is no longer held.
    }
  }
}

function readOwner(fs: FileSystem, file: string): LockContent | undefined {
  try {
    // A lock file holds one small JSON object; a larger one is not read (it is not a lock we wrote).
    const parsed: unknown = JSON.parse(Buffer.from(fs.readFile(file, LOCK_FILE_BYTES_MAX)).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const p = parsed as Record<string, unknown>;
    if (typeof p.pid !== 'number' || typeof p.host !== 'string' || typeof p.token !== 'string')
      return undefined;
    return {
      pid: p.pid,
      host: p.host,
      startTime: typeof p.startTime === 'string' ? p.startTime : '',
      token: p.token,
    };
  } catch (err) {
    // Stale only when the file is not a lock a writer finished: torn or not JSON, larger than one (EFBIG),
    // not a regular file (ESPIPE, EISDIR), or gone (ENOENT). An error of the environment (EMFILE, EACCES,
    // ENOMEM, EIO) says nothing of the owner: thrown, or a live writer's lock would be taken over.
    if (err instanceof SyntaxError || STALE_READ_CODES.has(errnoCode(err) ?? '')) return undefined;
    throw err;
  }
}

/** Read errors that mean the lock file is not one a writer finished (see `readOwner`). */
const STALE_READ_CODES: ReadonlySet<string> = new Set(['EFBIG', 'ESPIPE', 'EISDIR', 'ENOENT']);

function isLive(fs: FileSystem, owner: LockContent): boolean {
  if (owner.host !== os.hostname()) return true; // cannot check another host's processes: refuse
  if (owner.pid === process.pid) return held.has(`${fs.identity}:${owner.token}`);
  if (!pidAlive(owner.pid)) return false;
  const start = processStartTime(owner.pid);
  return start === '' || owner.startTime === '' || start === owner.startTime;
}
