/**
 * The fsyncs of deferred key store entries, behind a seam: tests wrap the
 * real one to log the order of syncs or to make one fail. The asynchronous
 * calls run on libuv's thread pool, off the main thread. A file that no
 * longer exists (shredded meanwhile) is not an error: its key is gone, and
 * so is what was encrypted with it — as for any shred.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fsyncDirectory, ioError } from './durableFiles.ts';

export interface EntrySyncer {
  /** fsync of a file's data and metadata, asynchronously; resolves also when the file is gone. */
  file(file: string): Promise<void>;
  /** fsync of a directory (its entries), asynchronously. */
  directory(dir: string): Promise<void>;
  fileSync(file: string): void;
  directorySync(dir: string): void;
}

export const fsEntrySyncer: EntrySyncer = {
  async file(file) {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(`open ${file}`, error);
    }
    try {
      await handle.sync();
    } catch (error) {
      throw ioError(`sync ${file}`, error);
    } finally {
      await handle.close();
    }
  },
  async directory(dir) {
    let handle;
    try {
      handle = await open(dir, 'r');
      await handle.sync();
    } catch (error) {
      throw ioError(`sync directory ${dir}`, error);
    } finally {
      await handle?.close();
    }
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
