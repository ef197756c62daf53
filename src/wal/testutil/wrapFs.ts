/**
 * Test file systems that pass everything to another one and change only some handle methods: `wrapHandles`
 * gives each opened handle's pass-through methods to `wrap`, which returns the handle to use.
 */
import type { FileHandle, FileSystem } from '../fs/FileSystem.ts';

/**
 * A handle that passes every call to `h` (its `writeAsync` only when `h` has one and `writeAsync` is not
 * false: without it, the WAL writes through this handle on the calling thread).
 */
export function passThroughHandle(h: FileHandle, o: { writeAsync?: boolean } = {}): FileHandle {
  const writeAsync = o.writeAsync === false ? undefined : h.writeAsync?.bind(h);
  return {
    path: h.path,
    write: (data, position) => h.write(data, position),
    ...(writeAsync ? { writeAsync } : {}),
    read: (buffer, offset, length, position) => h.read(buffer, offset, length, position),
    size: () => h.size(),
    truncate: (length) => h.truncate(length),
    datasync: () => h.datasync(),
    datasyncSync: () => h.datasyncSync(),
    fsync: () => h.fsync(),
    close: () => h.close(),
  };
}

/** `inner`, each handle it opens replaced by `wrap(passThroughHandle(handle))`. */
export function wrapHandles(inner: FileSystem, wrap: (h: FileHandle) => FileHandle): FileSystem {
  return {
    identity: inner.identity,
    open: (p, mode) => wrap(passThroughHandle(inner.open(p, mode))),
    readDir: (p) => inner.readDir(p),
    mkdirp: (p) => inner.mkdirp(p),
    exists: (p) => inner.exists(p),
    rename: (from, to) => inner.rename(from, to),
    remove: (p) => inner.remove(p),
    syncDir: (p) => inner.syncDir(p),
    readFile: (p, bytesMax) => inner.readFile(p, bytesMax),
  };
}
