/**
 * The key store's file operations, each durable before it returns (but
 * `linkFileOnce` and `makeDirectory`, whose caller syncs later):
 * - `createFileOnce`: temporary file, fsync, hard link to the final name
 *   (fails if it exists: two processes creating the same entry cannot
 *   overwrite each other), remove the temporary name, fsync the directory;
 * - `linkFileOnce`: the same without either fsync: the file is complete and
 *   visible at its final name when it returns, NOT durable (see
 *   pendingEntries.ts, which syncs it before anything depends on it);
 *   `linkFileOnceAsync` does it on the thread pool;
 * - `makeDirectory`: mkdir without syncing its parent (`makeDirectoryAsync`
 *   on the thread pool);
 * - `replaceFile`: temporary file, fsync, rename over the final name, fsync
 *   the directory (only under the store lock);
 * - `destroyFile`: overwrite with zeros and fsync (best effort: SSDs and
 *   copy-on-write file systems may keep old blocks), unlink, fsync the
 *   directory — after it returns a crash cannot bring the file back
 *   (`destroyTemporaryHolding`: the same for a leftover temporary file);
 * - `readSmallFile`: bounded read; undefined when the file does not exist
 *   (`readSmallFileAsync` on the thread pool).
 * Errors are `KeyStoreIoError` naming the path and errno code.
 */
import {
  closeSync,
  readdirSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { close, link, open, unlink, write } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KeyStoreCorruptError, KeyStoreIoError } from '../errors.ts';

export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

/** Creates `file` with `bytes` unless it exists; true when this call created it. */
export function createFileOnce(file: string, bytes: Uint8Array): boolean {
  const temporary = writeTemporary(file, bytes);
  try {
    io(`create ${file}`, () => linkSync(temporary, file));
  } catch (error) {
    if (((error as KeyStoreIoError).cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST')
      throw error;
    removeQuietly(temporary);
    return false;
  }
  removeLinkedTemporary(temporary);
  fsyncDirectory(path.dirname(file));
  return true;
}

/**
 * Creates `file` with `bytes` unless it exists, WITHOUT syncing the file or its directory; true when
 * this call created it. The temporary file is written whole before the link, so a reader never sees
 * a partial entry at the final name (a crash before the caller's syncs can leave one: an empty or
 * zero-filled file, see `isTornEntry`).
 */
export function linkFileOnce(file: string, bytes: Uint8Array): boolean {
  const temporary = writeTemporary(file, bytes, false);
  try {
    io(`create ${file}`, () => linkSync(temporary, file));
  } catch (error) {
    removeQuietly(temporary);
    if (((error as KeyStoreIoError).cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST')
      throw error;
    return false;
  }
  removeLinkedTemporary(temporary);
  return true;
}

/**
 * `linkFileOnce` on the thread pool (the main thread only starts each step): write a temporary file
 * (exclusive create, the whole of `bytes`, no fsync), hard-link it to `file` (no-clobber), remove it.
 * Callbacks, not fs/promises: measured (/tmp micro-benchmark, 1,000 entries in batches of 100,
 * threadCpuUsage, 2 interleaved rounds) 73-84 µs of main-thread CPU per entry with FileHandle
 * promises, 47-68 µs with callbacks — each step is a thread-pool round trip.
 */
export async function linkFileOnceAsync(file: string, bytes: Uint8Array): Promise<boolean> {
  const temporary = temporaryName(file);
  const fd = await call<number>((done) => open(temporary, 'wx', FILE_MODE, done)).catch((error: unknown) => {
    throw ioError(`write ${temporary}`, error);
  });
  try {
    const n = await call<number>((done) => write(fd, bytes, 0, bytes.length, 0, done));
    // A short write (the disk filling up) is an error, as in writeTemporary.
    if (n !== bytes.length) throw new Error(`short write: ${n} of ${bytes.length} bytes`);
  } catch (error) {
    await call((done) => close(fd, done)).catch(() => undefined);
    await call((done) => unlink(temporary, done)).catch(() => undefined); // not left behind
    throw ioError(`write ${temporary}`, error);
  }
  try {
    await call((done) => close(fd, done));
    await call((done) => link(temporary, file, done));
  } catch (error) {
    await call((done) => unlink(temporary, done)).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(`create ${file}`, error);
  }
  await call((done) => unlink(temporary, done)).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`remove ${temporary}`, error);
  });
  return true;
}

/** A Node callback-style call as a promise. */
export function call<T = void>(start: (done: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

/** `makeDirectory` on the thread pool (a missing parent, which only a hand-made change causes, is made blocking). */
export async function makeDirectoryAsync(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { mode: DIRECTORY_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`create directory ${dir}`, error);
  }
  return makeDirectory(dir);
}

/** `readSmallFile` on the thread pool. */
export async function readSmallFileAsync(file: string, bytesMax: number): Promise<Buffer | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`stat ${file}`, error);
  }
  if (size > bytesMax) throw new KeyStoreCorruptError(`${file}: ${size} bytes, more than ${bytesMax}`);
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`read ${file}`, error);
  }
}

/**
 * True for what a crash can leave of a file whose data was never synced (`linkFileOnce` before its
 * caller's fsync; `destroyFile` between its overwrite and its unlink): no bytes, or only zeros.
 */
export function isTornFile(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/**
 * Creates `dir` (mode 0700) if missing, without syncing its parent; true when it was created (the
 * caller must then sync the parent before the directory's content counts as durable). A missing
 * parent is created durably (`ensureDirectory`).
 */
export function makeDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: DIRECTORY_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`create directory ${dir}`, error);
  }
  ensureDirectory(path.dirname(dir));
  return makeDirectory(dir);
}

/** Replaces `file` atomically with `bytes`. */
export function replaceFile(file: string, bytes: Uint8Array): void {
  const temporary = writeTemporary(file, bytes);
  try {
    io(`replace ${file}`, () => renameSync(temporary, file));
  } catch (error) {
    removeQuietly(temporary); // not left behind: it holds the entry (a key that a shred would miss there)
    throw error;
  }
  fsyncDirectory(path.dirname(file));
}

/** Overwrites, unlinks and forgets `file`; false when it did not exist. */
export function destroyFile(file: string): boolean {
  return destroy(file, false);
}

/** True for the name of a temporary file of this module (`createFileOnce`, `linkFileOnce`, `replaceFile`). */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(TEMPORARY_PREFIX);
}

/**
 * `destroyFile` for a temporary file whose bytes contain `marker`; false when they do not, or it is
 * gone or larger than `bytesMax` (not one of ours). One a crash left behind can hold a key (a rewrap
 * or a rewrite killed before its rename; a new entry's writer killed before its link). Left alone
 * while it has another name: a writer has just linked it and removes it itself (its other name is an
 * entry made after the caller's destruction; overwriting the shared data would destroy that too).
 */
export function destroyTemporaryHolding(file: string, marker: string, bytesMax: number): boolean {
  let bytes: Buffer | undefined;
  try {
    bytes = readSmallFile(file, bytesMax);
  } catch (error) {
    if (error instanceof KeyStoreCorruptError) return false;
    throw error;
  }
  if (bytes === undefined || !bytes.includes(marker)) return false;
  return destroy(file, true);
}

function destroy(file: string, unlessLinked: boolean): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(`open ${file}`, error);
  }
  try {
    const stat = fstatSync(fd);
    if (unlessLinked && stat.nlink > 1) return false;
    io(`overwrite ${file}`, () => {
      writeSync(fd, Buffer.alloc(stat.size), 0, stat.size, 0);
      fsyncSync(fd);
    });
  } finally {
    closeSync(fd);
  }
  io(`unlink ${file}`, () => unlinkSync(file));
  fsyncDirectory(path.dirname(file));
  return true;
}

export function readSmallFile(file: string, bytesMax: number): Buffer | undefined {
  let size: number;
  try {
    // No exception for a missing file: the usual case for a new subject, on the record path.
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    size = stat.size;
  } catch (error) {
    throw ioError(`stat ${file}`, error);
  }
  if (size > bytesMax) throw new KeyStoreCorruptError(`${file}: ${size} bytes, more than ${bytesMax}`);
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`read ${file}`, error);
  }
}

/** Creates `dir` (mode 0700) if missing and makes its entry durable; true when it was created. */
export function ensureDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: DIRECTORY_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      ensureDirectory(path.dirname(dir));
      return ensureDirectory(dir);
    }
    throw ioError(`create directory ${dir}`, error);
  }
  fsyncDirectory(path.dirname(dir));
  return true;
}

/** The names in `dir`, sorted; none when it does not exist. */
export function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(`list ${dir}`, error);
  }
}

export function fsyncDirectory(dir: string): void {
  io(`sync directory ${dir}`, () => {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

const TEMPORARY_PREFIX = '.tmp-';

function temporaryName(file: string): string {
  return path.join(path.dirname(file), `${TEMPORARY_PREFIX}${randomBytes(8).toString('hex')}`);
}

function writeTemporary(file: string, bytes: Uint8Array, sync = true): string {
  const temporary = temporaryName(file);
  io(`write ${temporary}`, () => {
    const fd = openSync(temporary, 'wx', FILE_MODE);
    let written = false;
    try {
      // A short write (the disk filling up) is an error: linked, the truncated entry would be
      // KEY_STORE_CORRUPT for ever, while the caller went on using the key it thinks stored.
      const n = writeSync(fd, bytes);
      if (n !== bytes.length) throw new Error(`short write: ${n} of ${bytes.length} bytes`);
      if (sync) fsyncSync(fd);
      written = true;
    } finally {
      closeSync(fd);
      // Not left behind: on a full disk every retry of every new subject would add one.
      if (!written) removeQuietly(temporary);
    }
  });
  return temporary;
}

/**
 * Removes the temporary name of a file just linked to its final name. Gone already is not an error:
 * a rewrap removes the temporary files it lists (rewrap.ts), and the file is at its final name — a
 * failure here used to fail the creation of an entry that was created.
 */
function removeLinkedTemporary(temporary: string): void {
  try {
    unlinkSync(temporary);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`remove ${temporary}`, error);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // a leftover temporary file holds a wrapped key and is removed by the next rewrap
  }
}

export function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw ioError(what, error);
  }
}

export function ioError(what: string, error: unknown): KeyStoreIoError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new KeyStoreIoError(`key store: cannot ${what}: ${code}: ${(error as Error).message}`, error);
}
