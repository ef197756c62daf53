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
 *
 * Every error the disk raises before the switch fires (an injected ENOSPC,
 * EIO, ...) is counted by its code in `errors` (shared by the switches of
 * one harness), so that a scenario can tell a fault that fired from one
 * that was only armed.
 */
import type { FileHandle, FileSystem, OpenMode } from '../src/wal/fs/FileSystem.ts';
import type { CrashMode, SimDisk } from '../src/wal/fs/SimDisk.ts';

export class CrashSwitchFs implements FileSystem {
  private readonly current: SimDisk;
  /** Errors the disk raised before the switch fired, by code (e.g. `ENOSPC`). */
  readonly errors: Map<string, number>;
  private armed: { calls: number; mode: CrashMode; seed: number } | undefined;
  /** The power failed (an armed crash fired, or `retire`): later errors are not counted. */
  private dead = false;
  /** The disk after an armed crash fired (taken by `takeCrashed`). */
  private crashedDisk: SimDisk | undefined;
  /** File-system calls made through this object (handles included). */
  calls = 0;
  /** The call stack where an armed crash fired (which step of the WAL the power cut interrupted). */
  firedAt = '';
  /**
   * A slow disk without real time: every async sync (`datasync`, `fsync`) reaches the disk only after
   * this many event-loop turns (it then completes as SimDisk's do, a turn later). Turns, not
   * milliseconds: the iteration does not sit idle, and what overlaps a sync does not depend on how busy
   * the machine is, so the seed alone decides it. A crash meanwhile fails it with EIO, as a sync in
   * flight at a power loss.
   */
  syncDelayTurns = 0;

  /** The innermost WAL function the armed crash interrupted ("sealSegmentFile", "Wal.strictAppend", ...). */
  get firedInStep(): string {
    for (const line of this.firedAt.split('\n').slice(1)) {
      const m = /at (?:async )?([\w.<>]+) \(.*\/src\/wal\//.exec(line);
      if (m?.[1]) return m[1];
    }
    return 'unknown';
  }

  constructor(disk: SimDisk, errors: Map<string, number> = new Map()) {
    this.current = disk;
    this.errors = errors;
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

  /** The disk behind this switch lost power (here or by `SimDisk.crash`): its errors are no faults. */
  retire(): void {
    this.armed = undefined;
    this.dead = true;
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
    this.dead = true;
    this.firedAt = new Error('power loss').stack ?? '';
    // The dead disk stays the target of this and every later call: they all fail with EIO.
    this.crashedDisk = this.current.crash({ mode: a.mode, seed: a.seed });
  }

  /** Counts an error of the live disk (not those of a disk that lost power). */
  private note(err: unknown): void {
    if (this.dead) return;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string') this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** One file-system call: the power switch first, then the call, its error counted. */
  private call<T>(f: () => T): T {
    this.tick();
    try {
      return f();
    } catch (err) {
      this.note(err);
      throw err;
    }
  }

  /**
   * One thread-pool call: the power switch when it is MADE (a crash armed on it fails it with EIO, as a
   * call made after the power failed); the disk applies it when it completes, and a crash armed on a later
   * call that fires meanwhile fails it with EIO then (SimDisk: nothing of it applied or made durable).
   */
  private callAsync<T>(f: () => Promise<T>): Promise<T> {
    const p = this.call(f);
    p.catch((err: unknown) => this.note(err));
    return p;
  }

  private delayed(sync: () => Promise<void>): Promise<void> {
    const turns = this.syncDelayTurns;
    if (turns <= 0) return sync();
    return (async () => {
      for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      await sync();
    })();
  }

  open(p: string, mode: OpenMode): FileHandle {
    return this.wrap(this.call(() => this.current.open(p, mode)));
  }

  /** Every operation of a handle of the disk, through the switch. */
  private wrap(h: FileHandle): FileHandle {
    return {
      path: h.path,
      write: (data, position) => this.call(() => h.write(data, position)),
      read: (buffer, offset, length, position) => this.call(() => h.read(buffer, offset, length, position)),
      size: () => this.call(() => h.size()),
      truncate: (length) => this.call(() => h.truncate(length)),
      datasync: () => this.callAsync(() => this.delayed(() => h.datasync())),
      datasyncSync: () => this.call(() => h.datasyncSync()),
      fsync: () => this.callAsync(() => this.delayed(() => h.fsync())),
      close: () => this.call(() => h.close()),
      // Background segment preparation writes its zeros asynchronously where the disk can;
      // without this the switch hid writeAsync and torture covered only the synchronous fallback.
      ...(h.writeAsync === undefined
        ? {}
        : {
            writeAsync: (data: Uint8Array, position: number) =>
              this.callAsync(() => h.writeAsync!(data, position)),
          }),
    };
  }

  readDir(p: string): string[] {
    return this.call(() => this.current.readDir(p));
  }

  mkdirp(p: string): void {
    this.call(() => this.current.mkdirp(p));
  }

  exists(p: string): boolean {
    return this.call(() => this.current.exists(p));
  }

  rename(from: string, to: string): void {
    this.call(() => this.current.rename(from, to));
  }

  remove(p: string): void {
    this.call(() => this.current.remove(p));
  }

  syncDir(p: string): void {
    this.call(() => this.current.syncDir(p));
  }

  readFile(p: string): Uint8Array {
    return this.call(() => this.current.readFile(p));
  }

  // The thread-pool variants (the high-water mark's writes, HighWaterMark.ts writeHighWaterMarkAsync): each is
  // one call through the switch, as the synchronous forms, and the crash may land while one is in flight.
  // Without them the WAL fell back to the synchronous calls here and torture never ran the thread-pool path.

  async openAsync(p: string, mode: OpenMode): Promise<FileHandle> {
    return this.wrap(await this.callAsync(() => this.current.openAsync(p, mode)));
  }

  renameAsync(from: string, to: string): Promise<void> {
    return this.callAsync(() => this.current.renameAsync(from, to));
  }

  removeAsync(p: string): Promise<void> {
    return this.callAsync(() => this.current.removeAsync(p));
  }

  /** A directory sync is a sync: it takes `syncDelayTurns` too. */
  syncDirAsync(p: string): Promise<void> {
    return this.callAsync(() => this.delayed(() => this.current.syncDirAsync(p)));
  }
}
