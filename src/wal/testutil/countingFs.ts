/**
 * A FileSystem that passes everything to another one and records the
 * buffers reads go into: tests check with it what a reader allocates for a
 * frame (the largest buffer read into) and whether a payload it returns is a
 * buffer it read into (not a copy).
 */
import type { FileHandle, FileSystem } from '../fs/FileSystem.ts';

export interface CountingFileSystem extends FileSystem {
  /** Every distinct ArrayBuffer a read went into since the last `reset`. */
  readonly readInto: Set<ArrayBufferLike>;
  /** Bytes read since the last `reset`. */
  bytesRead(): number;
  /** The byteLength of the largest ArrayBuffer a read went into since the last `reset`. */
  largestReadBufferBytes(): number;
  reset(): void;
}

export function countingFileSystem(inner: FileSystem): CountingFileSystem {
  const readInto = new Set<ArrayBufferLike>();
  let bytes = 0;
  let largest = 0;
  const wrap = (h: FileHandle): FileHandle => ({
    path: h.path,
    write: (data, position) => h.write(data, position),
    read: (buffer, offset, length, position) => {
      readInto.add(buffer.buffer);
      largest = Math.max(largest, buffer.buffer.byteLength);
      const n = h.read(buffer, offset, length, position);
      bytes += n;
      return n;
    },
    size: () => h.size(),
    truncate: (length) => h.truncate(length),
    datasync: () => h.datasync(),
    datasyncSync: () => h.datasyncSync(),
    fsync: () => h.fsync(),
    close: () => h.close(),
  });
  return {
    identity: inner.identity,
    open: (p, mode) => wrap(inner.open(p, mode)),
    readDir: (p) => inner.readDir(p),
    mkdirp: (p) => inner.mkdirp(p),
    exists: (p) => inner.exists(p),
    rename: (from, to) => inner.rename(from, to),
    remove: (p) => inner.remove(p),
    syncDir: (p) => inner.syncDir(p),
    readFile: (p, bytesMax) => inner.readFile(p, bytesMax),
    readInto,
    bytesRead: () => bytes,
    largestReadBufferBytes: () => largest,
    reset: () => {
      readInto.clear();
      bytes = 0;
      largest = 0;
    },
  };
}
