/**
 * Component lifecycle (Collector `component.Component`): `start()` and
 * `shutdown()` are idempotent, `shutdown()` works without `start()`, and
 * shutdown honours its deadline.
 */
import { OtelAuditError } from '../errors.ts';

export interface Component {
  start(): Promise<void>;
  /** Stops the component; resolves by the deadline or rejects with `SHUTDOWN_TIMEOUT`. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * Runs `doStart` at most once and `doShutdown` at most once (even
 * concurrently), and bounds shutdown by its deadline.
 */
export class Lifecycle {
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private readonly doStart: () => Promise<void>;
  private readonly doShutdown: () => Promise<void>;

  constructor(doStart: () => Promise<void>, doShutdown: () => Promise<void>) {
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

  shutdown(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    this.stopped ??= this.doShutdown();
    return withDeadline(this.stopped, deadlineMs, 'shutdown');
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
