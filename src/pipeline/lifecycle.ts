/**
 * Component lifecycle (Collector `component.Component`): `start()` and
 * `shutdown()` are idempotent, `shutdown()` works without `start()`, and
 * shutdown honours its deadline.
 *
 * Deadlines follow Service.shutdown's rule: the shutdown work runs once,
 * every `shutdown()` call returns the same promise, and the EARLIEST deadline
 * wins: a later call may bring the end forward (the promise then rejects
 * with `SHUTDOWN_TIMEOUT` at the new end, and the work, handed the
 * `ShutdownDeadline`, sees it move), never push it back. Before, each call
 * raced the work against its own deadline: a `shutdown(60_000)` after a
 * `shutdown(5_000)` was kept waiting for, and a component that read its
 * deadline from the last call gave the first one 60 s.
 */
import { OtelAuditError } from '../errors.ts';

export interface Component {
  start(): Promise<void>;
  /** Stops the component; resolves by the deadline or rejects with `SHUTDOWN_TIMEOUT`. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * The clock of shutdown deadlines: monotonic milliseconds (`performance.now()`), never the wall clock. A
 * step of the wall clock (NTP, a VM resumed, an operator) must neither cut a shutdown short nor keep a
 * process past its deadline: on the wall clock, after a step forward of an hour during a shutdown a
 * component was told no time was left (servers force-closed their connections at once), and after a step
 * back a hung component's process was kept an hour (shutdownClockStep.test.ts).
 */
export function deadlineClockMs(): number {
  return performance.now();
}

/** The longest delay setTimeout takes (a longer one fires at once). */
const TIMER_MS_MAX = 2 ** 31 - 1;

/**
 * When a shutdown must be done: the earliest end asked for (`deadlineClockMs()` ms). It can only come earlier
 * (`tighten`); what waits on it (`onExpiry`) is re-armed when it does, and called in the order it was
 * registered, from one timer.
 */
export class ShutdownDeadline {
  private endsAt = Infinity;
  private readonly waiting = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * A deadline `ms` from now; NaN (a bad number from a caller) is the default deadline, as in
   * `Lifecycle.shutdown` (before, it was none: a server's `close(NaN)` never forced its connections shut).
   */
  static in(ms: number): ShutdownDeadline {
    const d = new ShutdownDeadline();
    d.tighten(deadlineClockMs() + (Number.isNaN(ms) ? DEFAULT_SHUTDOWN_DEADLINE_MS : ms));
    return d;
  }

  /** The end (`deadlineClockMs()` ms); Infinity while none was asked for. */
  get endsAtMs(): number {
    return this.endsAt;
  }

  /** What is left of it (0 once past; Infinity while none was asked for). */
  remainingMs(): number {
    return Math.max(0, this.endsAt - deadlineClockMs());
  }

  /** Brings the end to `endsAtMs` if that is earlier; true if it moved. */
  tighten(endsAtMs: number): boolean {
    if (!(endsAtMs < this.endsAt)) return false;
    this.endsAt = endsAtMs;
    this.arm();
    return true;
  }

  /** Calls `f` once at the end (wherever it is by then; soon if past); the function returned cancels it. */
  onExpiry(f: () => void): () => void {
    const once = (): void => f();
    this.waiting.add(once);
    this.arm();
    return () => {
      this.waiting.delete(once);
      if (this.waiting.size === 0) clearTimeout(this.timer);
    };
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.endsAt === Infinity || this.waiting.size === 0) return;
    this.timer = setTimeout(() => this.expire(), Math.min(TIMER_MS_MAX, this.remainingMs()));
    this.timer.unref();
  }

  private expire(): void {
    if (this.remainingMs() > 0) return this.arm(); // a timer capped at TIMER_MS_MAX
    const due = [...this.waiting];
    this.waiting.clear();
    for (const f of due) f();
  }
}

/**
 * Runs `doStart` at most once and `doShutdown` at most once (even concurrently), and bounds shutdown by
 * the earliest deadline of the `shutdown()` calls (see the top of this file). `doShutdown` is given that
 * deadline, to bound its own steps by it (`remainingMs`, `onExpiry`).
 */
export class Lifecycle {
  private started: Promise<void> | undefined;
  /** What every `shutdown()` call returns: the work, bounded by the deadline. */
  private stopped: Promise<void> | undefined;
  private readonly deadline = new ShutdownDeadline();
  private readonly doStart: () => Promise<void>;
  private readonly doShutdown: (deadline: ShutdownDeadline) => Promise<void>;

  constructor(doStart: () => Promise<void>, doShutdown: (deadline: ShutdownDeadline) => Promise<void>) {
    this.doStart = doStart;
    this.doShutdown = doShutdown;
  }

  get isShutDown(): boolean {
    return this.stopped !== undefined;
  }

  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new OtelAuditError('LIFECYCLE', 'cannot start after shutdown'));
    this.started ??= this.doStart();
    return this.started;
  }

  /**
   * Shuts down once; every call returns the same promise, which rejects with `SHUTDOWN_TIMEOUT` at the
   * earliest end asked for (`deadlineMs` from each call) if the work has not finished by then.
   */
  shutdown(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    // NaN (a bad number from a caller) is the default, as Service.shutdown takes it; before, it left the
    // shutdown without any deadline. Infinity: none.
    this.deadline.tighten(
      deadlineClockMs() + (Number.isNaN(deadlineMs) ? DEFAULT_SHUTDOWN_DEADLINE_MS : deadlineMs),
    );
    this.stopped ??= this.boundedShutdown();
    return this.stopped;
  }

  /**
   * A start in progress is waited for first (not bounded: the promise still rejects at the deadline, and
   * the work then runs when the start ends, with the deadline past): run beside it, the work found servers
   * still binding, closed them before they listened, and they listened for good once bound (an OtlpReceiver
   * shut down during its start kept its ports and the process alive).
   */
  private boundedShutdown(): Promise<void> {
    const since = deadlineClockMs();
    const starting = this.started;
    const work = starting
      ? starting.then(
          () => this.runShutdown(),
          () => this.runShutdown(),
        )
      : this.runShutdown();
    // Registered after what the work waits on the deadline for (a server force-closed then), so called after
    // it, and rejecting only once what that settled has run (setImmediate: after the pending microtasks): a
    // work that finishes at the deadline resolves the promise rather than timing out.
    let cancel = (): void => undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.deadline.onExpiry(() =>
        setImmediate(() =>
          reject(
            new OtelAuditError(
              'SHUTDOWN_TIMEOUT',
              `shutdown did not finish within ${Math.round(this.deadline.endsAtMs - since)} ms`,
            ),
          ),
        ),
      );
    });
    return Promise.race([work, timeout]).finally(cancel);
  }

  private runShutdown(): Promise<void> {
    try {
      return this.doShutdown(this.deadline);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}

/** Resolves/rejects like `p`, or rejects with `SHUTDOWN_TIMEOUT` after `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OtelAuditError('SHUTDOWN_TIMEOUT', `${what} did not finish within ${ms} ms`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
