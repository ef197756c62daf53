/**
 * The `--out` directory of `keys generate`: created here, level by level, so
 * that the command knows exactly which levels it made — and removes those
 * (never one that existed before, nor one that is not empty) when writing
 * the key files fails. writeKeyFiles (internal/writeKeyFiles.ts) then finds
 * the directory existing; the caller fsyncs the parent of each level made
 * before the files are written (a failure then leaves nothing to take back).
 */
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fsyncDirectory, KEY_DIRECTORY_MODE } from '../internal/writeKeyFiles.ts';

/** Creates `dir` and its missing ancestors (mode 0700); returns the levels this call created, outermost first. */
export function makeKeyDirectory(dir: string): string[] {
  const missing: string[] = [];
  for (let level = dir; statSync(level, { throwIfNoEntry: false }) === undefined;) {
    missing.unshift(level);
    const parent = path.dirname(level);
    if (parent === level) break;
    level = parent;
  }
  const created: string[] = [];
  try {
    for (const level of missing) {
      try {
        mkdirSync(level, { mode: KEY_DIRECTORY_MODE });
        created.push(level);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // made by someone else
      }
    }
  } catch (error) {
    removeKeyDirectories(created);
    throw error;
  }
  return created;
}

/** Removes the levels `makeKeyDirectory` created, innermost first, each only while empty. */
export function removeKeyDirectories(created: readonly string[]): void {
  for (const level of [...created].reverse()) {
    try {
      rmdirSync(level); // fails (ENOTEMPTY) for a level something else was put into meanwhile
    } catch {
      return; // its ancestors are not empty either
    }
  }
}

/** Makes the levels created durable: an fsync of each one's parent (its entry is new). */
export function syncKeyDirectories(created: readonly string[]): void {
  for (const level of created) fsyncDirectory(path.dirname(level));
}
