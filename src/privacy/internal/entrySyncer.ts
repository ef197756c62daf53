/**
 * The fsyncs of deferred key store entries, behind a seam: tests wrap the
 * real one to log the order of syncs or to make one fail. The asynchronous
 * calls run on libuv's thread pool, off the main thread. A file that no
 * longer exists (shredded meanwhile) is not an error: its key is gone, and
 * so is what was encrypted with it — as for any shred.
 */
import { close, closeSync, fsync, fsyncSync, open, openSync } from 'node:fs';
import { call, fsyncDirectory, ioError } from './durableFiles.ts';

export interface EntrySyncer {
  /** fsync of a file's data and metadata, asynchronously; resolves also when the file is gone. */
  file(file: string): Promise<void>;
  /** fsync of a directory (its entries), asynchronously. */
  directory(dir: string): Promise<void>;
  fileSync(file: string): void;
  directorySync(dir: string): void;
}

export const fsEntrySyncer: EntrySyncer = {
  // Callbacks, not FileHandle promises: less main-thread CPU per thread-pool round trip
  // (durableFiles.ts, linkFileOnceAsync).
  async file(file) {
    let fd: number;
    try {
      fd = await call<number>((done) => open(file, 'r', done));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(`open ${file}`, error);
    }
    await syncAndClose(fd, `sync ${file}`);
  },
  async directory(dir) {
    let fd: number;
    try {
      fd = await call<number>((done) => open(dir, 'r', done));
    } catch (error) {
      throw ioError(`sync directory ${dir}`, error);
    }
    await syncAndClose(fd, `sync directory ${dir}`);
  },
  fileSync(file) {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(`open ${file}`, error);
    }
    try {
      fsyncSync(fd);
    } catch (error) {
      throw ioError(`sync ${file}`, error);
    } finally {
      closeSync(fd);
    }
  },
  directorySync: fsyncDirectory,
};

async function syncAndClose(fd: number, what: string): Promise<void> {
  try {
    await call((done) => fsync(fd, done));
  } catch (error) {
    throw ioError(what, error);
  } finally {
    await call((done) => close(fd, done)).catch(() => undefined);
  }
}
