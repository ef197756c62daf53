/**
 * The key store's file operations, each durable before it returns (but
 * `linkFileOnce` and `makeDirectory`, whose caller syncs later):
 * - `createFileOnce`: temporary file, fsync, hard link to the final name
 *   (fails if it exists: two processes creating the same entry cannot
 *   overwrite each other), remove the temporary name, fsync the directory;
 * - `linkFileOnce`: the same without either fsync: the file is complete and
 *   visible at its final name when it returns, NOT durable (see
 *   pendingEntries.ts, which syncs it before anything depends on it);
 *   `linkFileOnceAsync` does it on the thread pool (also in its parts:
 *   `writeTemporaryAsync`, `linkTemporaryAsync`, `removeTemporaryAsync`, so
 *   that a link still to run can be fenced off: `renameTemporary`,
 *   entryCreation.ts);
 * - `makeDirectory`: mkdir without syncing its parent (`makeDirectoryAsync`
 *   on the thread pool);
 * - `replaceFile`: temporary file, fsync, rename over the final name, remove
 *   the temporary names of the file replaced, fsync the directory (only
 *   under the store lock);
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
  readSync,
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
  const temporary = await writeTemporaryAsync(file, bytes);
  let made: boolean;
  try {
    made = await linkTemporaryAsync(temporary, file);
  } catch (error) {
    await removeTemporaryAsync(temporary).catch(() => undefined);
    throw error;
  }
  await removeTemporaryAsync(temporary);
  return made;
}

/**
 * `linkFileOnceAsync`'s first part: a new temporary file beside `file` holding the whole of `bytes`
 * (exclusive create, no fsync), closed; returns its name. Nothing is left behind when it fails.
 */
export async function writeTemporaryAsync(file: string, bytes: Uint8Array): Promise<string> {
  const temporary = temporaryName(file);
  const fd = await call<number>((done) => open(temporary, 'wx', FILE_MODE, done)).catch((error: unknown) => {
    throw ioError(`write ${temporary}`, error);
  });
  try {
    const n = await call<number>((done) => write(fd, bytes, 0, bytes.length, 0, done));
    // A short write (the disk filling up) is an error, as in writeTemporary.
    if (n !== bytes.length) throw new Error(`short write: ${n} of ${bytes.length} bytes`);
    await call((done) => close(fd, done));
  } catch (error) {
    await call((done) => close(fd, done)).catch(() => undefined);
    await call((done) => unlink(temporary, done)).catch(() => undefined); // not left behind
    throw ioError(`write ${temporary}`, error);
  }
  return temporary;
}

/**
 * `linkFileOnceAsync`'s second part, on the thread pool: hard-links `temporary` to `file`, no-clobber;
 * true when linked, false when `file` exists. The temporary name stays (`removeTemporaryAsync`).
 */
export async function linkTemporaryAsync(temporary: string, file: string): Promise<boolean> {
  try {
    await call((done) => link(temporary, file, done));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(`create ${file}`, error);
  }
}

/** Removes a temporary name on the thread pool; gone already is not an error. */
export async function removeTemporaryAsync(temporary: string): Promise<void> {
  await call((done) => unlink(temporary, done)).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`remove ${temporary}`, error);
  });
}

/**
 * Moves `temporary` to a new temporary name beside it, atomically: a link of `temporary` issued
 * earlier (on the thread pool) has either run before it or fails (ENOENT) — it can never run after.
 * Returns the new name, or undefined when `temporary` does not exist (any more).
 */
export function renameTemporary(temporary: string): string | undefined {
  const moved = temporaryName(temporary);
  try {
    renameSync(temporary, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`rename ${temporary}`, error);
  }
  return moved;
}

/** A file's link count and bytes (at most `bytesMax`), read through one descriptor; undefined when it does not exist. */
export function linksAndBytes(
  file: string,
  bytesMax: number,
): { readonly links: number; readonly ino: number; readonly bytes: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(`open ${file}`, error);
  }
  try {
    const stat = io(`stat ${file}`, () => fstatSync(fd));
    if (stat.size > bytesMax)
      throw new KeyStoreCorruptError(`${file}: ${stat.size} bytes, more than ${bytesMax}`);
    const bytes = Buffer.alloc(stat.size);
    const n = io(`read ${file}`, () => readSync(fd, bytes, 0, stat.size, 0));
    return { links: stat.nlink, ino: stat.ino, bytes: bytes.subarray(0, n) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the temporary names in `file`'s directory that link the same file (inode `ino`): a writer's,
 * whose link to `file` has just landed (it removes that name itself; gone already is fine).
 */
export function removeTemporaryLinksOf(file: string, ino: number): void {
  const dir = path.dirname(file);
  for (const name of listDirectory(dir)) {
    if (!isTemporaryName(name)) continue;
    const other = path.join(dir, name);
    const stat = io(`stat ${other}`, () => statSync(other, { throwIfNoEntry: false }));
    if (stat?.ino === ino) removeLinkedTemporary(other);
  }
}

/** Hard-links the existing `from` to `to`, no-clobber, without syncing; true when linked, false when `to` exists. */
export function linkExisting(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(`create ${to}`, error);
  }
}

/**
 * Gets rid of a temporary file: only unlinked while it has another name (its data is an entry's),
 * destroyed (`destroyFile`) otherwise. Failures are ignored: a leftover temporary file holding a key
 * is destroyed by a shred of its subject, removed by a rewrap.
 */
export function discardTemporary(temporary: string): void {
  try {
    if (!destroy(temporary, true)) removeLinkedTemporary(temporary);
  } catch {
    // left for a shred or a rewrap
  }
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

/**
 * Replaces `file` atomically with `bytes`. The file replaced loses every temporary name too (a
 * writer's, whose link of it has just landed; or the name a takeover fenced it to, entryCreation.ts):
 * left behind, an intact copy of the entry under a temporary name with one link reads as a link that
 * never ran, which the takeover links itself — after a shred of the entry, that was the shredded key
 * back (KeyStore.relink.test).
 */
export function replaceFile(file: string, bytes: Uint8Array): void {
  const temporary = writeTemporary(file, bytes);
  let replaced: number | undefined; // the file replaced, held open: its names left are found by inode
  try {
    replaced = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      removeQuietly(temporary);
      throw ioError(`open ${file}`, error);
    }
  }
  try {
    try {
      io(`replace ${file}`, () => renameSync(temporary, file));
    } catch (error) {
      removeQuietly(temporary); // not left behind: it holds the entry (a key that a shred would miss there)
      throw error;
    }
    if (replaced !== undefined) removeTemporaryNamesOf(path.dirname(file), replaced);
  } finally {
    if (replaced !== undefined) closeSync(replaced);
  }
  fsyncDirectory(path.dirname(file));
}

/**
 * Removes the temporary names in `dir` of the file open as `fd`, until a listing finds none twice in a
 * row: a name renamed during a listing (a takeover's fence, at most once per file) may be missed by it.
 * Names elsewhere (an operator's hard-linked backup) are left alone — but then every replacement lists
 * the directory twice: measured ~2.6 ms CPU per listing of a 4,000-name shard (1M subjects; /tmp
 * micro-benchmark, process.cpuUsage, 1,000 listings), about the cost of the replacement's own fsyncs.
 */
function removeTemporaryNamesOf(dir: string, fd: number): void {
  let clean = 0;
  while (clean < 2) {
    const { ino, nlink } = io(`stat replaced file in ${dir}`, () => fstatSync(fd));
    if (nlink === 0) return;
    let removed = 0;
    for (const name of listDirectory(dir)) {
      if (!isTemporaryName(name)) continue;
      const other = path.join(dir, name);
      const stat = io(`stat ${other}`, () => statSync(other, { throwIfNoEntry: false }));
      if (stat?.ino !== ino) continue;
      removeLinkedTemporary(other);
      removed++;
    }
    clean = removed === 0 ? clean + 1 : 0;
  }
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
