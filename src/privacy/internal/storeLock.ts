/**
 * The key store lock: `shred` and `rewrap` hold it, so a rewrap can never
 * write back an entry that a shred has just destroyed. Creating keys needs no
 * lock (it never replaces a file). The lock is a file created exclusively; a
 * process that died holding it leaves it behind, and the error says so.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KeyStoreIoError } from '../errors.ts';
import { FILE_MODE } from './durableFiles.ts';

export const LOCK_FILE = 'lock';

export function withStoreLock<T>(directory: string, fn: () => T): T {
  const file = path.join(directory, LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(file, 'wx', FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new KeyStoreIoError(`key store: cannot create ${file}: ${(error as Error).message}`, error);
    }
    throw new KeyStoreIoError(
      `key store ${directory} is locked by another shred or rewrap (${file}, ${holder(file)}); ` +
        'if no such process runs, remove the file',
    );
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    return fn();
  } finally {
    unlinkSync(file);
  }
}

function holder(file: string): string {
  try {
    return `pid ${readFileSync(file, 'utf8').trim() || '?'}`;
  } catch {
    return 'pid unknown';
  }
}
