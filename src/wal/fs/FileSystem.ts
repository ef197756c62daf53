/**
 * The file-system seam. Every byte the WAL reads or writes goes through this
 * interface, so tests can run the real WAL over `SimDisk` (a simulated disk
 * that loses un-synced writes, tears them at sector boundaries, flips bits,
 * fills up and fails fsync on command) and production runs it over
 * `NodeFileSystem`.
 *
 * Design notes:
 * - Data operations are synchronous except `datasync()`/`fsync()` and the
 *   optional `writeAsync()`: a write into the page cache costs microseconds,
 *   while a sync costs a device flush. A group commit that fits in its
 *   segment writes through `writeAsync` (a large commit's write into a
 *   growing file costs the event loop ~0.1-0.3 µs per record, ext4 block
 *   allocation); strict appends, rollovers and segment creation write on the
 *   caller's thread.
 * - Errors are Node-style: an `Error` with a string `code` (`ENOSPC`, `EIO`,
 *   `ENOENT`, `EEXIST`, ...). Implementations must not invent other shapes.
 * - Paths are absolute or relative to the process's working directory, joined
 *   with `node:path`.
 */

export type OpenMode =
  /** read only; the file must exist */
  | 'read'
  /** read and write; the file must exist */
  | 'readwrite'
  /** read and write; the file must NOT exist (O_CREAT | O_EXCL) */
  | 'create';

export interface FileHandle {
  readonly path: string;
  /** Writes all of `data` at `position`. Throws (e.g. ENOSPC) if not all could be written. */
  write(data: Uint8Array, position: number): void;
  /**
   * `write` on the thread pool (optional: callers fall back to `write`). The caller must not touch the
   * same bytes, nor close the handle, until it settles.
   */
  writeAsync?(data: Uint8Array, position: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns the count read (0 at EOF). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** Current file size in bytes. */
  size(): number;
  /** Sets the file size; grows with zeros or cuts. */
  truncate(length: number): void;
  /** fdatasync on the thread pool: data and the metadata needed to read it back. */
  datasync(): Promise<void>;
  /** fdatasync on the calling thread. */
  datasyncSync(): void;
  /** fsync on the thread pool: data and all metadata. */
  fsync(): Promise<void>;
  close(): void;
}

export interface FileSystem {
  /**
   * Distinguishes independent views of storage for the in-process lock
   * registry: the real file system is one identity for the whole process;
   * each simulated disk (including the one that comes back after a simulated
   * crash) is another.
   */
  readonly identity: string;
  /**
   * The smallest group-commit write (bytes) worth handing to a handle's `writeAsync`: a smaller one is
   * written on the calling thread, where it costs less than the thread-pool hand-off. Absent: 0 (every
   * group commit that fits in its segment uses `writeAsync` where the handle has it).
   */
  readonly writeAsyncBytesMin?: number;
  open(path: string, mode: OpenMode): FileHandle;
  /** Names (not paths) of the entries of a directory. */
  readDir(path: string): string[];
  /** mkdir -p. */
  mkdirp(path: string): void;
  exists(path: string): boolean;
  /** Atomic replace of `to` by `from` (POSIX rename). */
  rename(from: string, to: string): void;
  remove(path: string): void;
  /** fsync a directory, making creations, renames and removals in it durable. */
  syncDir(path: string): void;
  /**
   * Reads a whole file (for small files: cursors, lock). A file larger than `bytesMax` is not read: EFBIG
   * (a huge file under a cursor's or the lock's name must not be loaded into memory).
   */
  readFile(path: string, bytesMax?: number): Uint8Array;
  /*
   * Thread-pool variants (optional: callers without them fall back to the synchronous call, on the
   * event loop). Same semantics and errors as their synchronous forms; used for work that must not stall
   * the event loop while appends are acknowledged (the high-water mark, HighWaterMark.ts).
   */
  /** `open` on the thread pool. */
  openAsync?(path: string, mode: OpenMode): Promise<FileHandle>;
  /** `rename` on the thread pool. */
  renameAsync?(from: string, to: string): Promise<void>;
  /** `remove` on the thread pool. */
  removeAsync?(path: string): Promise<void>;
  /** `syncDir` on the thread pool: the directory's entries are durable when it resolves. */
  syncDirAsync?(path: string): Promise<void>;
}

/** The `code` of a Node-style error, or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Creates a Node-style error with an errno code, for simulated file systems. */
export function fsError(code: string, syscall: string, path: string): Error & { code: string } {
  const err = new Error(`${code}: ${syscall} '${path}'`) as Error & {
    code: string;
    syscall: string;
    path: string;
  };
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/**
 * mkdir -p that makes the new directories durable: each created level's
 * parent is synced, top down, so a crash cannot take a WAL directory away.
 */
export function ensureDurableDir(fs: FileSystem, dir: string, pathApi: { dirname(p: string): string }): void {
  const missing: string[] = [];
  for (let d = dir; !fs.exists(d); d = pathApi.dirname(d)) {
    missing.unshift(d);
    if (pathApi.dirname(d) === d) break;
  }
  if (missing.length === 0) return;
  fs.mkdirp(dir);
  for (const d of missing) fs.syncDir(pathApi.dirname(d));
}
