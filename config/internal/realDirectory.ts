/** Paths compared as the file system resolves them (symlinks followed). */
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** `dir` with symlinks resolved, as far as it exists (a directory not there yet resolves through its parent). */
export function realDirectory(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    const parent = path.dirname(dir);
    return parent === dir ? dir : path.join(realDirectory(parent), path.basename(dir));
  }
}
