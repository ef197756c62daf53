/**
 * Writing the files of one new key (`keys generate`) all-or-nothing: either
 * every file is in place and durable, or none of them is left behind.
 *
 * 1. Create the directory if missing (mode 0700), noting each level made.
 * 2. Write every file to a temporary name in the directory (`.<name>.tmp-<hex>`,
 *    created exclusively with the file's mode), write it whole, fsync it.
 * 3. Publish the files in the order given with `link(temporary, final)`,
 *    which fails with EEXIST instead of replacing an existing file (a
 *    `rename` would silently overwrite a key). The directory is fsynced after
 *    each file but the last, so a crash between two links can leave only a
 *    prefix of the list: give the public key first and the private key last,
 *    and a `.key.pem` on disk always has its `.pub.pem` next to it.
 * 4. Remove the temporary names and fsync the directory once more; then
 *    fsync the parent of each directory level step 1 created (their entries
 *    are new), and no other: an existing directory's parent did not change.
 *
 *    A file system without hard links (vfat/exFAT, e.g. removable media for
 *    offline keys; SMB without Unix extensions; some FUSE file systems: link
 *    fails with EPERM, ENOTSUP/EOPNOTSUPP or ENOSYS) publishes instead by
 *    reserving the final name with an exclusive create (EEXIST as above:
 *    nothing is overwritten) and renaming the temporary over that empty
 *    placeholder of its own. A crash between the two leaves an empty final
 *    file, which no key loader accepts (an empty PEM names itself), rather
 *    than a half-written key.
 *
 * On any error, the final names this call linked and every temporary name
 * are removed (so a conflict on the second file leaves no private key), then
 * the error is thrown. A crash (not an error) can leave `.*.tmp-*` files,
 * which hold key material in mode 0600 and may be deleted. Directories that
 * step 1 created are kept here; `keys generate` creates `--out` itself first,
 * level by level, and on failure removes the empty levels it created
 * (src/cli/commands/keysDirectory.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { OtelAuditError } from '../../errors.ts';

export interface KeyFile {
  /** File name inside the directory, no separators. */
  readonly name: string;
  readonly text: string;
  /** Permission bits, e.g. 0o600 for a private key (the umask may only remove bits). */
  readonly mode: number;
}

export interface WriteKeyFilesOptions {
  /** fsyncs a directory; a seam for tests that check which directories are synced. */
  readonly syncDirectory?: (dir: string) => void;
  /**
   * `fs.linkSync`; a seam for tests of the fallback for file systems without hard links (none can be
   * mounted where the tests run: vfat is not in the kernel, FUSE needs a device).
   */
  readonly link?: (existing: string, newPath: string) => void;
}

/** `link()` errors that mean "this file system has no hard links", not "this name is taken". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export const KEY_DIRECTORY_MODE = 0o700;

/** Writes `files` into `dir` (created if missing); returns their paths in the order given. */
export function writeKeyFiles(
  dir: string,
  files: readonly KeyFile[],
  options: WriteKeyFilesOptions = {},
): string[] {
  const syncDirectory = options.syncDirectory ?? fsyncDirectory;
  const link = options.link ?? linkSync;
  const created = createDirectory(dir);
  const temporaries: string[] = [];
  const published: string[] = [];
  try {
    for (const f of files) temporaries.push(writeTemporary(dir, f));
    files.forEach((f, i) => {
      const final = path.join(dir, f.name);
      const temporary = temporaries[i] as string;
      try {
        link(temporary, final);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined || !NO_HARD_LINKS.has(code)) throw existsOr(error, final);
        publishByRename(temporary, final, f.mode);
        temporaries[i] = ''; // renamed: no temporary name left to remove
      }
      published.push(final);
      if (i < files.length - 1) syncDirectory(dir);
    });
    // Each temporary name leaves the rollback list only once removed: if one removal fails, the others
    // (key material) are still removed by the rollback.
    while (temporaries.length > 0) {
      const temporary = temporaries[0] as string;
      if (temporary !== '') unlinkSync(temporary);
      temporaries.shift();
    }
    syncDirectory(dir);
    for (const level of created) syncDirectory(path.dirname(level));
  } catch (error) {
    for (const file of [...published, ...temporaries]) if (file !== '') removeQuietly(file);
    throw error;
  }
  return published;
}

/** EEXIST as the error `keys generate` reports; any other error as it is. */
function existsOr(error: unknown, final: string): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return error;
  return new OtelAuditError('INVALID_ARGUMENT', `${final} exists already; not overwritten`, { cause: error });
}

/**
 * Publishes `temporary` as `final` without a hard link: the exclusive create reserves the name (or fails
 * with EEXIST: someone else's file is never replaced), then the rename replaces that placeholder.
 */
function publishByRename(temporary: string, final: string, mode: number): void {
  let placeholder: number;
  try {
    placeholder = openSync(final, 'wx', mode);
  } catch (error) {
    throw existsOr(error, final);
  }
  closeSync(placeholder);
  try {
    renameSync(temporary, final);
  } catch (error) {
    removeQuietly(final); // our empty placeholder
    throw error;
  }
}

/** Creates `dir` and missing ancestors; returns the levels created, outermost first. */
function createDirectory(dir: string): string[] {
  const first = mkdirSync(dir, { recursive: true, mode: KEY_DIRECTORY_MODE });
  if (first === undefined) return [];
  const levels: string[] = [];
  for (let level = dir; ; level = path.dirname(level)) {
    levels.unshift(level);
    if (level === first || path.dirname(level) === level) return levels;
  }
}

function writeTemporary(dir: string, f: KeyFile): string {
  if (f.name !== path.basename(f.name) || f.name.startsWith('.')) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `key file name ${JSON.stringify(f.name)} is not a plain name`,
    );
  }
  const temporary = path.join(dir, `.${f.name}.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(temporary, 'wx', f.mode);
  try {
    writeFileSync(fd, f.text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temporary);
    throw error;
  }
  closeSync(fd);
  return temporary;
}

/** fsyncs the directory `dir` (also keys generate's directory levels, commands/keysDirectory.ts). */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone, or the directory is unusable: the error being thrown says why.
  }
}
