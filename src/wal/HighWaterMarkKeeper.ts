/**
 * Keeps the high-water mark (HighWaterMark.ts) up to date while the writer acknowledges appends, on the
 * thread pool: the event loop only starts the write and handles its completions, so no acknowledgement
 * ever waits for it.
 *
 * When it writes:
 * - `writeNow()`: the writer asks (a commit that created a segment was acknowledged);
 * - periodically: at most once per `intervalMs`, and only when acknowledgements moved the durable seq
 *   beyond the mark on disk (`acknowledged()` arms one timer; no new acknowledgement, no write); 0 turns
 *   this off (rollover and close only);
 * - `close()`: a last write, awaited, before the writer releases its lock.
 *
 * What it writes is always true: the seq is the writer's durable seq when the write starts (acknowledged
 * records only: a failed commit's numbers are handed back before they are ever durable, so they are never
 * named), and the segment is the one holding it then (a failed commit removes only segments it created,
 * all above the durable seq). One write runs at a time, each with a seq at least the previous one's
 * (durable never goes down), and none below the mark on disk: the mark never goes down.
 */
import { HIGH_WATER_MARK_FILE, writeHighWaterMarkAsync } from './HighWaterMark.ts';
import type { FileSystem } from './fs/FileSystem.ts';

export interface HighWaterMarkKeeperOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  /** Least time between two periodic writes; 0: no periodic write (rollover and close only). */
  readonly intervalMs: number;
  /** Wall clock in unix ns, for the mark's `updated` field. */
  readonly clock: () => bigint;
  readonly onWarning?: (message: string) => void;
  /** The highest acknowledged (durable) sequence number. */
  readonly durableSeq: () => number;
  /** First seq of the segment holding `seq`; undefined when no segment does. */
  readonly segmentOf: (seq: number) => number | undefined;
}

export class HighWaterMarkKeeper {
  private readonly o: HighWaterMarkKeeperOptions;
  /** The mark known to be durable on disk (0: none). */
  private onDisk: number;
  private running: Promise<void> | undefined;
  /** `writeNow` was called while a write ran: write again when it ends. */
  private rerun = false;
  private timer: NodeJS.Timeout | undefined;
  /**
   * `performance.now()` when the last write started, or the open (monotonic: a wall-clock step cannot
   * stretch it). From the open: the first periodic write comes an interval after it at the earliest.
   */
  private lastStartMs = performance.now();
  private stopped = false;

  constructor(options: HighWaterMarkKeeperOptions, onDiskSeq: number) {
    this.o = options;
    this.onDisk = onDiskSeq;
  }

  /** The mark known to be on disk. */
  get markSeq(): number {
    return this.onDisk;
  }

  /** A commit with records was acknowledged: arms the periodic write unless one is armed or running. O(1). */
  acknowledged(): void {
    if (this.timer !== undefined || this.running !== undefined || this.stopped || this.o.intervalMs === 0)
      return;
    this.arm();
  }

  /** Writes the mark in the background as soon as possible (after the write running now, if any). */
  writeNow(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.rerun = true;
      return;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running = this.run();
  }

  /** Stops the periodic writes, waits for a running one, writes the last mark; resolves when it is durable or failed. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running !== undefined) await this.running;
    await this.writeOnce();
  }

  private arm(): void {
    const waitMs = Math.max(0, this.lastStartMs + this.o.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeNow();
    }, waitMs);
    // A mark due is no reason to keep a process alive: what it would cover is durable already.
    this.timer.unref();
  }

  private async run(): Promise<void> {
    do {
      this.rerun = false;
      await this.writeOnce();
    } while (this.rerun && !this.stopped);
    this.running = undefined;
    // Acknowledged while writing (or the write failed): the next periodic write.
    if (!this.stopped && this.o.intervalMs > 0 && this.o.durableSeq() > this.onDisk) this.arm();
  }

  private async writeOnce(): Promise<void> {
    const seq = this.o.durableSeq();
    if (seq <= this.onDisk) return;
    const segmentFirstSeq = this.o.segmentOf(seq);
    if (segmentFirstSeq === undefined) return;
    this.lastStartMs = performance.now();
    try {
      await writeHighWaterMarkAsync(this.o.fs, this.o.dir, {
        lastSeq: seq,
        segmentFirstSeq,
        updatedUnixNano: this.o.clock(),
      });
      this.onDisk = Math.max(this.onDisk, seq);
    } catch (err) {
      this.o.onWarning?.(
        `WAL ${this.o.dir}: writing ${HIGH_WATER_MARK_FILE} (${seq}) failed, ${this.stopped ? 'at close: the mark on disk stays a lower bound' : 'retried later'}: ${String(err)}`,
      );
    }
  }
}
