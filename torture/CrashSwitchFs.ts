/**
 * A `FileSystem` in front of the current `SimDisk` that can cut the power at
 * the N-th file-system call — including in the middle of a synchronous
 * sequence the event loop never interrupts (between a segment's write and
 * its fdatasync, between a rename and the directory sync, between a footer
 * and the truncate that follows it). Crashing between event-loop turns
 * cannot reach those instants; this can.
 *
 * One WAL instance is given one of these, bound to the disk it opened on;
 * the scenario keeps using the disk for its faults. When the armed count
 * runs out, the disk crashes BEFORE the call is made: that call and every
 * later one of this WAL then fail with EIO, as on a machine that lost
 * power, and `takeCrashed()` returns the disk that came back (a new WAL is
 * opened on it through a new switch).
 */
import type { FileHandle, FileSystem, OpenMode } from '../src/wal/fs/FileSystem.ts';
import type { CrashMode, SimDisk } from '../src/wal/fs/SimDisk.ts';

export class CrashSwitchFs implements FileSystem {
  private readonly current: SimDisk;
  private armed: { calls: number; mode: CrashMode; seed: number } | undefined;
  /** The disk after an armed crash fired (taken by `takeCrashed`). */
  private crashedDisk: SimDisk | undefined;
  /** File-system calls made through this object (handles included). */
  calls = 0;
  /** The call stack where an armed crash fired (which step of the WAL the power cut interrupted). */
  firedAt = '';

  /** The innermost WAL function the armed crash interrupted ("sealSegmentFile", "Wal.strictAppend", ...). */
  get firedInStep(): string {
    for (const line of this.firedAt.split('\n').slice(1)) {
      const m = /at (?:async )?([\w.<>]+) \(.*\/src\/wal\//.exec(line);
      if (m?.[1]) return m[1];
    }
    return 'unknown';
  }

  constructor(disk: SimDisk) {
    this.current = disk;
  }

  get identity(): string {
    return this.current.identity;
  }

  /** The power fails just before the `calls`-th file-system call from now. */
  arm(calls: number, mode: CrashMode, seed: number): void {
    this.armed = { calls, mode, seed };
  }

  disarm(): void {
    this.armed = undefined;
  }

  /** Whether an armed crash has fired and not been taken yet. */
  get fired(): boolean {
    return this.crashedDisk !== undefined;
  }

  /** The disk an armed crash produced, once (undefined when none fired). */
  takeCrashed(): SimDisk | undefined {
    const d = this.crashedDisk;
    this.crashedDisk = undefined;
    return d;
  }

  private tick(): void {
    this.calls++;
    const a = this.armed;
    if (a === undefined || --a.calls > 0) return;
    this.armed = undefined;
    this.firedAt = new Error('power loss').stack ?? '';
    // The dead disk stays the target of this and every later call: they all fail with EIO.
    this.crashedDisk = this.current.crash({ mode: a.mode, seed: a.seed });
  }

  open(p: string, mode: OpenMode): FileHandle {
    this.tick();
    const h = this.current.open(p, mode);
    const tick = (): void => this.tick();
    return {
      path: h.path,
      write: (data, position) => (tick(), h.write(data, position)),
      read: (buffer, offset, length, position) => (tick(), h.read(buffer, offset, length, position)),
      size: () => (tick(), h.size()),
      truncate: (length) => (tick(), h.truncate(length)),
      datasync: () => (tick(), h.datasync()),
      datasyncSync: () => (tick(), h.datasyncSync()),
      fsync: () => (tick(), h.fsync()),
      close: () => (tick(), h.close()),
    };
  }

  readDir(p: string): string[] {
    this.tick();
    return this.current.readDir(p);
  }

  mkdirp(p: string): void {
    this.tick();
    this.current.mkdirp(p);
  }

  exists(p: string): boolean {
    this.tick();
    return this.current.exists(p);
  }

  rename(from: string, to: string): void {
    this.tick();
    this.current.rename(from, to);
  }

  remove(p: string): void {
    this.tick();
    this.current.remove(p);
  }

  syncDir(p: string): void {
    this.tick();
    this.current.syncDir(p);
  }

  readFile(p: string): Uint8Array {
    this.tick();
    return this.current.readFile(p);
  }
}
