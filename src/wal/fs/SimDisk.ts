/**
 * A deterministic, seeded, in-memory simulated disk behind the `FileSystem` seam, for the WAL's model-based
 * crash tests.
 *
 * Model (Linux-like, and as pessimistic as POSIX allows):
 * - Every file (inode) has a CURRENT state (what reads see) and a DURABLE state (what survives a crash).
 *   `write`/`truncate` change CURRENT only; `datasync()`/`datasyncSync()`/`fsync()` make the file's current
 *   content and size durable. A handle refers to the inode, not the name.
 * - Every directory has CURRENT and DURABLE entries. `open(.., 'create')`, `rename`, `remove` and `mkdirp`
 *   change current entries; `syncDir(dir)` makes the entries of `dir` durable. A file's data and its
 *   directory entry are independent: fsynced data under an un-synced name vanishes at a crash, and a durable
 *   name whose data was never synced comes back with its durable (possibly empty) content.
 * - `crash()` returns a NEW disk holding the post-crash state and kills this one: every later call on it or
 *   on its handles throws `EIO`. Un-synced data is resolved per 512-byte sector by a seeded PRNG.
 *
 * Implementation: file content lives in one growable buffer (capacity doubling) holding the CURRENT bytes;
 * the first modification of a sector after a sync saves that sector's durable bytes (an undo log). A sync
 * drops the undo entries, a crash restores the ones it decides to lose, so both cost O(dirty sectors), not
 * O(file size), and the post-crash disk takes over the buffers without copying.
 *
 * Simplifications (deliberate; the WAL must be correct under all of them):
 * - Sectors are 512 bytes, and they are also the page-cache granularity: tearing and fsyncgate act on whole
 *   sectors.
 * - `fsync` and `fdatasync` are the same: both make the file's data and size durable, and neither ever makes
 *   the file's directory entry durable (ext4 often does in practice; POSIX does not promise it).
 * - `syncDir(dir)` makes a snapshot of all of `dir`'s entries durable. A rename between two directories of
 *   which only one is synced can leave the file under both names (a hard link) or under neither at a crash.
 * - Directories made by `mkdirp` are entries like files: a new directory (with everything below it)
 *   vanishes at a crash unless `syncDir` was called on its parent. The root `/` always exists.
 * - Relative paths resolve against `/` (posix semantics); there are no symlinks, hard-link API, permissions
 *   or timestamps. `remove` removes files only (like the non-recursive `rmSync`): `EISDIR` on a directory.
 * - `readDir` returns names in a deterministic but unsorted order (a hash of the name), like ext4's htree
 *   order: callers must sort.
 * - Capacity (`setCapacityBytes`) counts the current sizes of all files that are linked or still open (a
 *   removed file keeps its space until its last handle is closed); durable-only bytes that a crash could
 *   resurrect are not counted; truncating up allocates (no sparse files). A write that would grow past the
 *   capacity is a short write: the prefix that fits is written, then `ENOSPC` is thrown. A truncate that
 *   would grow past it changes nothing and throws `ENOSPC`.
 * - fsyncgate: a failed sync makes nothing durable and marks the file's dirty sectors clean, so no later
 *   sync persists them; reads still see the new bytes until a crash restores the old ones (zeros beyond the
 *   old end of file). A later successful sync does persist the file size, so a grown file can come back
 *   with zeros where the lost data was. Rewriting a lost sector dirties it again.
 * - Write-back errors are reported per handle, like Linux's `errseq_t` (4.13+): the injected failure
 *   happens when the failing sync is CALLED (an async one rejects later, when it completes) and is
 *   reported by that sync; every other handle of the file open at that moment reports it (`EIO`) at its
 *   next sync, once, after making its dirty sectors durable; a later or concurrent sync through the SAME
 *   handle succeeds although the data was lost.
 * - Crash modes: `lose` reverts every file to its durable content and size; `keep` keeps all dirty data and
 *   the current size; `tear` (default) keeps or drops every dirty sector independently (50/50), and picks
 *   the size: when the file grew, the durable size (1/4), the current size (1/4), or a uniform size in
 *   between (1/2); when it shrank, the durable or the current size (1/2 each). Bytes beyond the chosen size
 *   are cut; a kept size whose sectors were dropped reads as zeros (and after an un-synced shrink, a cut
 *   sector can read as zeros even when the old size comes back). Sectors lost to fsyncgate are reverted
 *   in every mode. Directory entries revert to their last synced state unless `namespace: 'keep'` is passed.
 * - Async syncs (`datasync`, `fsync`) take effect when they complete (after `setImmediate`, or after the
 *   `setSyncDelayMs` timer), not when called; a sync still in flight at a crash makes nothing durable and
 *   rejects with `EIO` (when its timer fires). `datasyncSync` ignores the sync delay. `writeAsync` likewise
 *   takes effect when it completes (after `setImmediate`); a crash before then may have let it reach the
 *   page cache, whole or in part: it is applied at the crash and then torn/kept/lost like any un-synced
 *   data (`lose`: not applied), and it rejects with `EIO`. Closing a handle with I/O in flight is counted
 *   (`stats.closesWithIoInFlight`); a write in flight then fails with `EBADF`. Injected
 *   faults are consumed, and the write-back failure they stand for happens, when the call is made. The
 *   post-crash disk keeps the capacity limit (the medium is as full as it was) but starts with no pending
 *   faults and no sync delay: set them again if the scenario needs them.
 * - Corruption helpers (`flipBit`, `zeroRange`, `overwrite`, `truncateFile`) model damage to the medium: they
 *   change the durable bytes and the current bytes alike.
 */
import path from 'node:path';
import { fsError } from './FileSystem.ts';
import type { FileHandle, FileSystem, OpenMode } from './FileSystem.ts';

/** Bytes per simulated sector: the unit of tearing and of fsyncgate. */
export const SECTOR_SIZE = 512;

export type CrashMode =
  /** all un-synced data is lost: every file reverts to its durable content and size */
  | 'lose'
  /** all un-synced data is kept, as if it had been flushed just before the crash */
  | 'keep'
  /** every dirty sector is independently old or new; the size is old, new or in between */
  | 'tear';

export interface CrashOptions {
  /** How un-synced file data is resolved. Default `'tear'`. */
  mode?: CrashMode;
  /** Seed for this crash's random choices. Default: drawn from the disk's own seeded PRNG. */
  seed?: number;
  /** `'revert'` (default): un-synced directory changes are undone. `'keep'`: they are all kept. */
  namespace?: 'revert' | 'keep';
}

/** Counters of one disk instance (a post-crash disk starts from zero). */
export interface SimDiskStats {
  opens: number;
  writes: number;
  bytesWritten: number;
  /** datasync/datasyncSync/fsync calls, failed ones included */
  syncs: number;
  failedSyncs: number;
  syncDirs: number;
  /**
   * `close()` calls on a handle whose `writeAsync` or async sync had not completed: a caller bug (a real
   * descriptor could be reused under that I/O). A write in flight then fails with `EBADF`.
   */
  closesWithIoInFlight: number;
}

/** Restricts a fault to files (as opened) or directories: an exact path, or a predicate on the absolute path. */
export type PathFilter = string | ((absolutePath: string) => boolean);

/** mulberry32: a tiny, fast, seedable PRNG. */
class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

const EMPTY = new Uint8Array(0);
/** Shared, never mutated: the saved durable bytes of sectors past the durable end of file. */
const ZERO_SECTOR = new Uint8Array(SECTOR_SIZE);

/** An inode: current bytes in a growable buffer plus an undo log of durable sector contents. */
class SimFile {
  /** Current content in [0, size); always zero in [size, data.length) except transiently during a crash. */
  data: Uint8Array = EMPTY;
  size = 0;
  durableSize = 0;
  /** Durable bytes of every sector modified since it was last made durable (zeros beyond durable EOF). */
  readonly saved = new Map<number, Uint8Array>();
  /** Sectors a sync will make durable; `saved` minus `dirty` = sectors lost to a failed sync. */
  readonly dirty = new Set<number>();
  /** Names in the current namespace. */
  nlink = 0;
  opens = 0;
  /** Whether `size` is counted in the disk's used bytes. */
  accounted = true;
  /** Write-back errors so far (Linux `errseq_t`): each handle reports every one it has not reported yet. */
  wbErrors = 0;

  ensureCapacity(n: number): void {
    if (n <= this.data.length) return;
    let cap = Math.max(4096, this.data.length * 2);
    while (cap < n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.data);
    this.data = next;
  }

  /** Marks the sectors overlapping [from, to) dirty, saving their durable bytes first. Capacity must cover `to`. */
  private touch(from: number, to: number): void {
    const last = Math.floor((to - 1) / SECTOR_SIZE);
    for (let s = Math.floor(from / SECTOR_SIZE); s <= last; s++) {
      if (!this.saved.has(s)) {
        const start = s * SECTOR_SIZE;
        // a sector wholly past the durable end of file was all zeros when durable: share one copy
        this.saved.set(
          s,
          start >= this.durableSize ? ZERO_SECTOR : this.data.slice(start, start + SECTOR_SIZE),
        );
      }
      this.dirty.add(s);
    }
  }

  writeAt(bytes: Uint8Array, position: number): void {
    const end = position + bytes.length;
    this.ensureCapacity(end);
    this.touch(position, end);
    this.data.set(bytes, position);
    if (end > this.size) this.size = end;
  }

  readAt(buffer: Uint8Array, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    if (n > 0) buffer.set(this.data.subarray(position, position + n), offset);
    return n;
  }

  truncateTo(length: number): void {
    if (length < this.size) {
      this.touch(length, this.size);
      this.data.fill(0, length, this.size);
    } else {
      this.ensureCapacity(length);
    }
    this.size = length;
  }

  sync(): void {
    if (this.dirty.size === this.saved.size) this.saved.clear();
    else for (const s of this.dirty) this.saved.delete(s);
    this.dirty.clear();
    this.durableSize = this.size;
  }

  /** fsyncgate: the write-back failed; the dirty sectors are marked clean but never became durable. */
  failSync(): void {
    this.dirty.clear();
    this.wbErrors++;
  }

  currentCopy(): Uint8Array {
    return this.data.slice(0, this.size);
  }

  durableCopy(): Uint8Array {
    const out = new Uint8Array(this.durableSize);
    out.set(this.data.subarray(0, this.durableSize));
    for (const [s, bytes] of this.saved) {
      const start = s * SECTOR_SIZE;
      if (start < this.durableSize)
        out.set(bytes.subarray(0, Math.min(SECTOR_SIZE, this.durableSize - start)), start);
    }
    return out;
  }

  /** Turns this inode into its post-crash state (current = durable = the resolved content). */
  resolveCrash(mode: CrashMode, rng: Prng): void {
    let extent = this.size;
    for (const [s, old] of this.saved) {
      const keepNew = this.dirty.has(s) && (mode === 'keep' || (mode === 'tear' && rng.next() < 0.5));
      if (!keepNew) {
        this.data.set(old, s * SECTOR_SIZE);
        extent = Math.max(extent, (s + 1) * SECTOR_SIZE);
      }
    }
    const size = mode === 'lose' ? this.durableSize : mode === 'keep' ? this.size : this.tornSize(rng);
    if (extent > size) this.data.fill(0, size, extent);
    this.size = size;
    this.durableSize = size;
    this.saved.clear();
    this.dirty.clear();
  }

  private tornSize(rng: Prng): number {
    const { size, durableSize } = this;
    if (size === durableSize) return size;
    const r = rng.next();
    if (size < durableSize) return r < 0.5 ? durableSize : size;
    if (r < 0.25) return durableSize;
    if (r < 0.5) return size;
    return durableSize + Math.floor(rng.next() * (size - durableSize + 1));
  }

  /** Medium damage: applies `f` to the current bytes (below `size`) and the durable bytes (below `durableSize`). */
  mapBytes(offset: number, length: number, f: (old: number, fileOffset: number) => number): void {
    for (let i = offset; i < offset + length; i++) {
      const sector = Math.floor(i / SECTOR_SIZE);
      let saved = this.saved.get(sector);
      if (i < this.size) this.data[i] = f(this.data[i] ?? 0, i);
      if (saved !== undefined && i < this.durableSize) {
        if (saved === ZERO_SECTOR) {
          saved = ZERO_SECTOR.slice();
          this.saved.set(sector, saved);
        }
        const j = i % SECTOR_SIZE;
        saved[j] = f(saved[j] ?? 0, i);
      }
    }
  }

  /** Medium damage: both the current and the durable file end at `length` (zeros if it grows). */
  cutBoth(length: number): void {
    if (length < this.size) this.data.fill(0, length, this.size);
    else this.ensureCapacity(length);
    for (const [s, bytes] of this.saved) {
      const start = s * SECTOR_SIZE;
      if (start >= length) {
        this.saved.delete(s);
        this.dirty.delete(s);
      } else if (start + SECTOR_SIZE > length && bytes !== ZERO_SECTOR) {
        bytes.fill(0, length - start);
      }
    }
    this.size = length;
    this.durableSize = length;
  }
}

class SimDir {
  current = new Map<string, SimNode>();
  durable = new Map<string, SimNode>();
}

type SimNode = SimFile | SimDir;

interface FaultRule {
  code: string;
  remaining: number;
  filter: PathFilter | undefined;
}

function normalize(p: string): string {
  return path.posix.resolve('/', p);
}

function toFilter(filter: PathFilter | undefined): PathFilter | undefined {
  return typeof filter === 'string' ? normalize(filter) : filter;
}

function checkNonNegativeInt(value: number, what: string, syscall: string, p: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    const err = fsError('EINVAL', syscall, p);
    err.message += ` (${what} ${value})`;
    throw err;
  }
}

interface PendingWrite {
  readonly file: SimFile;
  readonly data: Uint8Array;
  readonly position: number;
}

/** State shared by a disk and its handles; replaced wholesale at a crash. */
class Kernel {
  dead = false;
  capacity: number | undefined = undefined;
  used = 0;
  syncDelayMs = 0;
  readonly syncFaults: FaultRule[] = [];
  readonly writeFaults: FaultRule[] = [];
  readonly syncDirFaults: FaultRule[] = [];
  readonly stats: SimDiskStats = {
    opens: 0,
    writes: 0,
    bytesWritten: 0,
    syncs: 0,
    failedSyncs: 0,
    syncDirs: 0,
    closesWithIoInFlight: 0,
  };
  /** `writeAsync` calls not completed yet: a crash may apply them, in part (see `crash`). */
  readonly pendingWrites = new Set<PendingWrite>();
  readonly root: SimDir;

  constructor(root: SimDir) {
    this.root = root;
  }

  checkAlive(syscall: string, p: string): void {
    if (this.dead) throw fsError('EIO', syscall, p);
  }

  /** Consumes one count of the first rule matching `absPath`; returns its errno code. */
  takeFault(rules: FaultRule[], absPath: string): string | undefined {
    for (const [i, rule] of rules.entries()) {
      const f = rule.filter;
      if (f !== undefined && (typeof f === 'string' ? f !== absPath : !f(absPath))) continue;
      if (--rule.remaining <= 0) rules.splice(i, 1);
      return rule.code;
    }
    return undefined;
  }

  /** How many bytes files may still grow by. */
  headroom(): number {
    return this.capacity === undefined ? Infinity : Math.max(0, this.capacity - this.used);
  }

  /** Frees a file's space once it is neither linked nor open. */
  release(file: SimFile): void {
    if (file.nlink === 0 && file.opens === 0 && file.accounted) {
      this.used -= file.size;
      file.accounted = false;
    }
  }
}

class SimFileHandle implements FileHandle {
  readonly path: string;
  readonly #kernel: Kernel;
  readonly #file: SimFile;
  readonly #absPath: string;
  readonly #writable: boolean;
  #closed = false;
  /** `writeAsync` and async syncs of this handle not completed yet. */
  #ioInFlight = 0;
  /** The file's write-back error count this handle has reported (sampled at open, like Linux's `f_wb_err`). */
  #wbErrorsSeen: number;

  constructor(kernel: Kernel, file: SimFile, p: string, absPath: string, writable: boolean) {
    this.path = p;
    this.#kernel = kernel;
    this.#file = file;
    this.#absPath = absPath;
    this.#writable = writable;
    this.#wbErrorsSeen = file.wbErrors;
  }

  #check(syscall: string, write = false): void {
    this.#kernel.checkAlive(syscall, this.path);
    if (this.#closed || (write && !this.#writable)) throw fsError('EBADF', syscall, this.path);
  }

  write(data: Uint8Array, position: number): void {
    this.#check('write', true);
    checkNonNegativeInt(position, 'position', 'write', this.path);
    const k = this.#kernel;
    const fault = k.takeFault(k.writeFaults, this.#absPath);
    if (fault !== undefined) throw fsError(fault, 'write', this.path);
    this.#applyWrite(data, position);
  }

  /** A checked write: short (then `ENOSPC`) when the disk is full. */
  #applyWrite(data: Uint8Array, position: number): void {
    if (applyChecked(this.#kernel, this.#file, data, position) < data.length)
      throw fsError('ENOSPC', 'write', this.path);
  }

  /**
   * `write` on the simulated thread pool: checked (and an injected fault taken) when called, applied when it
   * completes (after `setImmediate`). A crash before then may have applied it in part: the crash applies
   * it (except in `lose` mode) and then resolves its sectors like any other un-synced data (`tear`: each
   * kept or lost), and the call rejects with `EIO`.
   */
  writeAsync(data: Uint8Array, position: number): Promise<void> {
    try {
      this.#check('write', true);
      checkNonNegativeInt(position, 'position', 'write', this.path);
    } catch (err) {
      return Promise.reject(err);
    }
    const k = this.#kernel;
    const fault = k.takeFault(k.writeFaults, this.#absPath);
    const pending: PendingWrite | undefined =
      fault === undefined ? { file: this.#file, data, position } : undefined;
    if (pending) k.pendingWrites.add(pending);
    this.#ioInFlight++;
    return new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.#ioInFlight--;
        if (pending) k.pendingWrites.delete(pending);
        try {
          k.checkAlive('write', this.path);
          // closed while in flight: a caller bug (the descriptor could have been reused)
          if (this.#closed) throw fsError('EBADF', 'write', this.path);
          if (fault !== undefined) throw fsError(fault, 'write', this.path);
          this.#applyWrite(data, position);
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.#check('read');
    checkNonNegativeInt(position, 'position', 'read', this.path);
    checkNonNegativeInt(offset, 'offset', 'read', this.path);
    checkNonNegativeInt(length, 'length', 'read', this.path);
    if (offset + length > buffer.length) throw fsError('EINVAL', 'read', this.path);
    return this.#file.readAt(buffer, offset, length, position);
  }

  size(): number {
    this.#check('fstat');
    return this.#file.size;
  }

  truncate(length: number): void {
    this.#check('ftruncate', true);
    checkNonNegativeInt(length, 'length', 'ftruncate', this.path);
    const k = this.#kernel;
    const growth = length - this.#file.size;
    if (growth > k.headroom()) throw fsError('ENOSPC', 'ftruncate', this.path);
    this.#file.truncateTo(length);
    k.used += growth;
  }

  datasync(): Promise<void> {
    return this.#asyncSync('fdatasync');
  }

  datasyncSync(): void {
    this.#check('fdatasync');
    this.#finishSync(this.#beginSync(), 'fdatasync');
  }

  fsync(): Promise<void> {
    return this.#asyncSync('fsync');
  }

  close(): void {
    this.#kernel.checkAlive('close', this.path);
    if (this.#closed) return; // idempotent, like NodeFileHandle
    if (this.#ioInFlight > 0) this.#kernel.stats.closesWithIoInFlight++;
    this.#closed = true;
    this.#file.opens--;
    this.#kernel.release(this.#file);
  }

  /**
   * Starts a sync: an injected fault is a write-back failure that happens now (the dirty sectors are
   * marked clean and lost, the file's error count goes up) and that this handle reports, so another
   * handle of the file reports it too, but a later or concurrent sync through this one does not.
   */
  #beginSync(): string | undefined {
    const k = this.#kernel;
    k.stats.syncs++;
    const fault = k.takeFault(k.syncFaults, this.#absPath);
    if (fault !== undefined) {
      this.#file.failSync();
      this.#wbErrorsSeen = this.#file.wbErrors;
    }
    return fault;
  }

  /** Ends a sync: throws its own fault, or a write-back error of this file that this handle has not reported yet. */
  #finishSync(fault: string | undefined, syscall: string): void {
    if (fault !== undefined) {
      this.#kernel.stats.failedSyncs++;
      throw fsError(fault, syscall, this.path);
    }
    this.#file.sync();
    if (this.#wbErrorsSeen !== this.#file.wbErrors) {
      this.#wbErrorsSeen = this.#file.wbErrors;
      this.#kernel.stats.failedSyncs++;
      throw fsError('EIO', syscall, this.path);
    }
  }

  #asyncSync(syscall: string): Promise<void> {
    try {
      this.#check(syscall);
    } catch (err) {
      return Promise.reject(err);
    }
    const k = this.#kernel;
    const fault = this.#beginSync();
    this.#ioInFlight++;
    return new Promise<void>((resolve, reject) => {
      const complete = (): void => {
        this.#ioInFlight--;
        try {
          k.checkAlive(syscall, this.path); // crashed while in flight: nothing became durable
          this.#finishSync(fault, syscall);
          resolve();
        } catch (err) {
          reject(err);
        }
      };
      if (k.syncDelayMs > 0) setTimeout(complete, k.syncDelayMs);
      else setImmediate(complete);
    });
  }
}

/** Applies a write up to the disk's capacity (growth past it is cut short); returns the bytes written. */
function applyChecked(k: Kernel, file: SimFile, data: Uint8Array, position: number): number {
  k.stats.writes++;
  let n = data.length;
  const maxEnd = file.size + k.headroom();
  if (position + n > file.size && position + n > maxEnd) n = Math.max(0, maxEnd - position);
  if (n > 0) {
    const before = file.size;
    file.writeAt(n === data.length ? data : data.subarray(0, n), position);
    k.used += file.size - before;
    k.stats.bytesWritten += n;
  }
  return n;
}

/** FNV-1a, for the deterministic readDir order. */
function hashName(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

let disksCreated = 0;

export class SimDisk implements FileSystem {
  readonly identity: string;
  /** The seed this disk was created with (a post-crash disk gets one derived from its predecessor's). */
  readonly seed: number;
  #k: Kernel;
  readonly #rng: Prng;

  constructor(seed = 1) {
    this.seed = seed >>> 0;
    this.identity = `sim-${++disksCreated}`;
    this.#rng = new Prng(this.seed);
    this.#k = new Kernel(new SimDir());
  }

  // ---- FileSystem ----

  open(p: string, mode: OpenMode): FileHandle {
    const k = this.#k;
    k.checkAlive('open', p);
    const abs = normalize(p);
    let file: SimFile;
    if (mode === 'create') {
      if (abs === '/') throw fsError('EEXIST', 'open', p);
      const { dir, name } = this.#parent(abs, 'open', p);
      if (dir.current.has(name)) throw fsError('EEXIST', 'open', p);
      file = new SimFile();
      file.nlink = 1;
      dir.current.set(name, file);
    } else {
      file = this.#file(abs, 'open', p);
    }
    file.opens++;
    k.stats.opens++;
    return new SimFileHandle(k, file, p, abs, mode !== 'read');
  }

  readDir(p: string): string[] {
    this.#k.checkAlive('scandir', p);
    const node = this.#lookup(normalize(p), 'scandir', p);
    if (!(node instanceof SimDir)) throw fsError('ENOTDIR', 'scandir', p);
    const keyed = [...node.current.keys()].map((name) => ({ name, h: hashName(name, this.seed) }));
    keyed.sort((a, b) => a.h - b.h || (a.name < b.name ? -1 : 1));
    return keyed.map((e) => e.name);
  }

  mkdirp(p: string): void {
    this.#k.checkAlive('mkdir', p);
    const parts = this.#split(normalize(p));
    let dir = this.#k.root;
    for (const [i, name] of parts.entries()) {
      const child = dir.current.get(name);
      if (child === undefined) {
        const made = new SimDir();
        dir.current.set(name, made);
        dir = made;
      } else if (child instanceof SimDir) {
        dir = child;
      } else {
        throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
      }
    }
  }

  exists(p: string): boolean {
    this.#k.checkAlive('access', p);
    try {
      this.#lookup(normalize(p), 'access', p);
      return true;
    } catch {
      return false;
    }
  }

  rename(from: string, to: string): void {
    const k = this.#k;
    k.checkAlive('rename', from);
    const a = normalize(from);
    const b = normalize(to);
    const src = this.#parent(a, 'rename', from);
    const node = src.dir.current.get(src.name);
    if (node === undefined) throw fsError('ENOENT', 'rename', from);
    const dst = this.#parent(b, 'rename', to);
    const existing = dst.dir.current.get(dst.name);
    if (existing === node) return; // same file: POSIX says do nothing
    if (node instanceof SimDir) {
      if (b.startsWith(a + '/')) throw fsError('EINVAL', 'rename', from);
      if (existing instanceof SimFile) throw fsError('ENOTDIR', 'rename', to);
      if (existing instanceof SimDir && existing.current.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    } else if (existing instanceof SimDir) {
      throw fsError('EISDIR', 'rename', to);
    }
    src.dir.current.delete(src.name);
    dst.dir.current.set(dst.name, node);
    if (existing instanceof SimFile) {
      existing.nlink--;
      k.release(existing);
    }
  }

  remove(p: string): void {
    const k = this.#k;
    k.checkAlive('rm', p);
    const { dir, name } = this.#parent(normalize(p), 'rm', p);
    const node = dir.current.get(name);
    if (node === undefined) throw fsError('ENOENT', 'rm', p);
    if (node instanceof SimDir) throw fsError('EISDIR', 'rm', p);
    dir.current.delete(name);
    node.nlink--;
    k.release(node);
  }

  syncDir(p: string): void {
    const k = this.#k;
    k.checkAlive('fsync', p);
    const abs = normalize(p);
    const node = this.#lookup(abs, 'open', p);
    if (!(node instanceof SimDir)) throw fsError('ENOTDIR', 'open', p);
    k.stats.syncDirs++;
    const fault = k.takeFault(k.syncDirFaults, abs);
    if (fault !== undefined) throw fsError(fault, 'fsync', p);
    node.durable = new Map(node.current);
  }

  readFile(p: string, bytesMax?: number): Uint8Array {
    this.#k.checkAlive('open', p);
    const file = this.#file(normalize(p), 'open', p);
    if (bytesMax !== undefined && file.size > bytesMax)
      throw fsError('EFBIG', `read (over ${bytesMax} bytes)`, p);
    return file.currentCopy();
  }

  // ---- thread-pool variants: applied when they complete (after `setImmediate`), EIO if the disk crashed ----

  openAsync(p: string, mode: OpenMode): Promise<FileHandle> {
    return this.#onThreadPool(() => this.open(p, mode));
  }

  renameAsync(from: string, to: string): Promise<void> {
    return this.#onThreadPool(() => this.rename(from, to));
  }

  removeAsync(p: string): Promise<void> {
    return this.#onThreadPool(() => this.remove(p));
  }

  /**
   * `syncDir` on the simulated thread pool: an injected fault is taken when called (as for file syncs); the
   * entries as they are when it completes (after `setImmediate`, or the `setSyncDelayMs` timer) become
   * durable; a crash before then makes nothing durable and rejects with `EIO`.
   */
  syncDirAsync(p: string): Promise<void> {
    const k = this.#k;
    let fault: string | undefined;
    try {
      k.checkAlive('fsync', p);
      const abs = normalize(p);
      if (!(this.#lookup(abs, 'open', p) instanceof SimDir)) throw fsError('ENOTDIR', 'open', p);
      fault = k.takeFault(k.syncDirFaults, abs);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const complete = (): void => {
        try {
          k.checkAlive('fsync', p);
          const node = this.#lookup(normalize(p), 'open', p);
          if (!(node instanceof SimDir)) throw fsError('ENOTDIR', 'open', p);
          k.stats.syncDirs++;
          if (fault !== undefined) throw fsError(fault, 'fsync', p);
          node.durable = new Map(node.current);
          resolve();
        } catch (err) {
          reject(err);
        }
      };
      if (k.syncDelayMs > 0) setTimeout(complete, k.syncDelayMs);
      else setImmediate(complete);
    });
  }

  /** Runs `f` a turn later, as a thread-pool call completing: after a crash meanwhile, `f` throws EIO. */
  #onThreadPool<T>(f: () => T): Promise<T> {
    try {
      this.#k.checkAlive('uv', '/');
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(f());
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  // ---- crash ----

  /**
   * Simulates a power loss: returns a new disk (new `identity`) holding what survived, and kills this one,
   * so every later call on it or on a handle opened from it throws `EIO`, and syncs in flight reject with
   * `EIO` without making anything durable. Costs O(directories + dirty sectors), not O(bytes stored).
   */
  crash(options: CrashOptions = {}): SimDisk {
    const k = this.#k;
    k.checkAlive('crash', '/');
    const rng = new Prng(options.seed ?? this.#rng.nextUint32());
    // A write still on the thread pool may have reached the page cache, whole or in part: applied here, its
    // sectors are un-synced data like any other (torn in `tear` mode, kept in `keep`); `lose` drops it.
    const mode = options.mode ?? 'tear';
    if (mode !== 'lose') for (const w of k.pendingWrites) applyChecked(k, w.file, w.data, w.position);
    k.pendingWrites.clear();
    k.dead = true;
    if (options.namespace === 'keep') commitNamespace(k.root, new Set());
    const files = new Set<SimFile>();
    revertNamespace(k.root, new Set(), files);
    let used = 0;
    for (const file of files) {
      file.resolveCrash(mode, rng);
      file.opens = 0;
      file.accounted = true;
      used += file.size;
    }
    const next = new SimDisk(rng.nextUint32());
    const nk = new Kernel(k.root);
    nk.used = used;
    nk.capacity = k.capacity;
    next.#k = nk;
    return next;
  }

  // ---- fault injection ----

  /**
   * Makes the next `count` file syncs (datasync/datasyncSync/fsync; of files opened at `path` if given) fail
   * with `code`, with fsyncgate semantics: the dirty data is not made durable and is marked clean, so later
   * successful syncs do not persist it either; it is lost at the next crash unless rewritten.
   */
  failNextSync(code = 'EIO', count = 1, path?: PathFilter): void {
    this.#addFault(this.#k.syncFaults, code, count, path, 'failNextSync');
  }

  /** Makes the next `count` writes (of files opened at `path` if given) throw `code`; nothing is written. */
  failNextWrite(code = 'EIO', count = 1, path?: PathFilter): void {
    this.#addFault(this.#k.writeFaults, code, count, path, 'failNextWrite');
  }

  /** Makes the next `count` `syncDir` calls (of `path` if given) throw `code`; nothing becomes durable. */
  failNextSyncDir(code = 'EIO', count = 1, path?: PathFilter): void {
    this.#addFault(this.#k.syncDirFaults, code, count, path, 'failNextSyncDir');
  }

  /** Drops all pending injected faults. */
  clearFaults(): void {
    const k = this.#k;
    k.checkAlive('clearFaults', '/');
    k.syncFaults.length = 0;
    k.writeFaults.length = 0;
    k.syncDirFaults.length = 0;
  }

  /**
   * Limits the sum of current file sizes to `bytes` (`undefined`: unlimited). Growing past it fails with
   * `ENOSPC` (a write is applied up to the limit first); overwrites inside a file never fail for space.
   */
  setCapacityBytes(bytes: number | undefined): void {
    this.#k.checkAlive('setCapacityBytes', '/');
    if (bytes !== undefined) checkNonNegativeInt(bytes, 'capacity', 'setCapacityBytes', '/');
    this.#k.capacity = bytes;
  }

  /** Makes async syncs complete after a `ms` timer (0, the default: after `setImmediate`). Reset by a crash. */
  setSyncDelayMs(ms: number): void {
    this.#k.checkAlive('setSyncDelayMs', '/');
    checkNonNegativeInt(ms, 'delay', 'setSyncDelayMs', '/');
    this.#k.syncDelayMs = ms;
  }

  // ---- corruption of the medium (current and durable content alike) ----

  /** Flips bit `bit` (0 = least significant) of the byte at `byteOffset`. */
  flipBit(p: string, byteOffset: number, bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) throw new RangeError(`bit ${bit} is not in 0..7`);
    const mask = 1 << bit;
    this.#damage(p, byteOffset, 1, 'flipBit').mapBytes(byteOffset, 1, (b) => b ^ mask);
  }

  /** Zeroes `length` bytes at `offset` (e.g. a sector the drive returns as zeros). */
  zeroRange(p: string, offset: number, length: number): void {
    this.#damage(p, offset, length, 'zeroRange').mapBytes(offset, length, () => 0);
  }

  /** Replaces the bytes at `offset` by `bytes`, without changing the file size. */
  overwrite(p: string, offset: number, bytes: Uint8Array): void {
    this.#damage(p, offset, bytes.length, 'overwrite').mapBytes(
      offset,
      bytes.length,
      (_, i) => bytes[i - offset] ?? 0,
    );
  }

  /** Sets both the current and the durable size to `length` (cut, or zero-extended). */
  truncateFile(p: string, length: number): void {
    const k = this.#k;
    k.checkAlive('truncateFile', p);
    checkNonNegativeInt(length, 'length', 'truncateFile', p);
    const file = this.#file(normalize(p), 'truncateFile', p);
    k.used += length - file.size;
    file.cutBoth(length);
  }

  /** Removes the file's name from the current and the durable namespace (a segment lost on the medium). */
  removeFileDurably(p: string): void {
    const k = this.#k;
    k.checkAlive('removeFileDurably', p);
    const { dir, name } = this.#parent(normalize(p), 'removeFileDurably', p);
    const current = dir.current.get(name);
    const durable = dir.durable.get(name);
    if (current instanceof SimDir || durable instanceof SimDir)
      throw fsError('EISDIR', 'removeFileDurably', p);
    if (current === undefined && durable === undefined) throw fsError('ENOENT', 'removeFileDurably', p);
    dir.current.delete(name);
    dir.durable.delete(name);
    if (current !== undefined) {
      current.nlink--;
      k.release(current);
    }
  }

  // ---- inspection ----

  /** Absolute paths of all files in the current namespace, sorted. */
  listFiles(): string[] {
    this.#k.checkAlive('listFiles', '/');
    return listTree(this.#k.root, '', 'current');
  }

  /** Absolute paths of all files in the durable namespace (what a crash would leave), sorted. */
  listDurableFiles(): string[] {
    this.#k.checkAlive('listDurableFiles', '/');
    return listTree(this.#k.root, '', 'durable');
  }

  /** A copy of the current content of the file at `path`. */
  fileBytes(p: string): Uint8Array {
    this.#k.checkAlive('fileBytes', p);
    return this.#file(normalize(p), 'fileBytes', p).currentCopy();
  }

  /** A copy of the durable content of the file now at `path` (its name need not be durable). */
  durableBytes(p: string): Uint8Array {
    this.#k.checkAlive('durableBytes', p);
    return this.#file(normalize(p), 'durableBytes', p).durableCopy();
  }

  /** Sum of the current sizes of linked or open files: what `setCapacityBytes` limits. */
  get usedBytes(): number {
    this.#k.checkAlive('usedBytes', '/');
    return this.#k.used;
  }

  /** A snapshot of this instance's counters. */
  get stats(): SimDiskStats {
    this.#k.checkAlive('stats', '/');
    return { ...this.#k.stats };
  }

  // ---- internals ----

  #split(abs: string): string[] {
    return abs === '/' ? [] : abs.slice(1).split('/');
  }

  #lookup(abs: string, syscall: string, p: string): SimNode {
    let node: SimNode = this.#k.root;
    for (const name of this.#split(abs)) {
      if (!(node instanceof SimDir)) throw fsError('ENOTDIR', syscall, p);
      const child: SimNode | undefined = node.current.get(name);
      if (child === undefined) throw fsError('ENOENT', syscall, p);
      node = child;
    }
    return node;
  }

  #parent(abs: string, syscall: string, p: string): { dir: SimDir; name: string } {
    if (abs === '/') throw fsError('EBUSY', syscall, p);
    const dir = this.#lookup(path.posix.dirname(abs), syscall, p);
    if (!(dir instanceof SimDir)) throw fsError('ENOTDIR', syscall, p);
    return { dir, name: path.posix.basename(abs) };
  }

  #file(abs: string, syscall: string, p: string): SimFile {
    const node = this.#lookup(abs, syscall, p);
    if (node instanceof SimDir) throw fsError('EISDIR', syscall, p);
    return node;
  }

  #damage(p: string, offset: number, length: number, what: string): SimFile {
    this.#k.checkAlive(what, p);
    checkNonNegativeInt(offset, 'offset', what, p);
    checkNonNegativeInt(length, 'length', what, p);
    const file = this.#file(normalize(p), what, p);
    const limit = Math.max(file.size, file.durableSize);
    if (offset + length > limit)
      throw new RangeError(`${what}: [${offset}, ${offset + length}) is beyond ${limit}`);
    return file;
  }

  #addFault(
    rules: FaultRule[],
    code: string,
    count: number,
    filter: PathFilter | undefined,
    what: string,
  ): void {
    this.#k.checkAlive(what, '/');
    if (!Number.isSafeInteger(count) || count < 1)
      throw new RangeError(`${what}: count ${count} must be >= 1`);
    rules.push({ code, remaining: count, filter: toFilter(filter) });
  }
}

/** namespace: 'keep' — every reachable directory's current entries become durable. */
function commitNamespace(dir: SimDir, seen: Set<SimDir>): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  dir.durable = new Map(dir.current);
  for (const node of dir.current.values()) if (node instanceof SimDir) commitNamespace(node, seen);
}

/** Reverts every durably reachable directory to its durable entries; collects the surviving files. */
function revertNamespace(dir: SimDir, seen: Set<SimDir>, files: Set<SimFile>): void {
  if (seen.has(dir)) return; // a cycle is possible after half-synced cross-directory renames
  seen.add(dir);
  dir.current = new Map(dir.durable);
  for (const node of dir.durable.values()) {
    if (node instanceof SimDir) {
      revertNamespace(node, seen, files);
    } else {
      if (!files.has(node)) {
        files.add(node);
        node.nlink = 0;
      }
      node.nlink++;
    }
  }
}

function listTree(root: SimDir, prefix: string, which: 'current' | 'durable'): string[] {
  const out: string[] = [];
  const seen = new Set<SimDir>();
  const walk = (dir: SimDir, base: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const [name, node] of dir[which]) {
      if (node instanceof SimDir) walk(node, `${base}/${name}`);
      else out.push(`${base}/${name}`);
    }
  };
  walk(root, prefix);
  return out.sort();
}
