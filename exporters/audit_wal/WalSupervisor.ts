/**
 * Keeps an `audit_wal` exporter's WAL usable: when the WAL refuses appends
 * until it is reopened (`WAL_FAILED`), closes it and reopens it — with
 * recovery, which keeps exactly what is on disk — after a backoff that
 * doubles on every failed attempt. In between, appends fail at once with the
 * WAL's (retryable) error, so clients retry and nothing is acknowledged that
 * is not durable in a WAL opened and recovered from disk.
 */
import type { ComponentLogger } from '../../src/pipeline/factories.ts';
import type { Wal } from '../../src/wal/Wal.ts';

export interface WalHealth {
  /** `ok`: accepting appends; `failed`: refusing them until a reopen succeeds; `stopped`: shut down or not started. */
  readonly state: 'ok' | 'failed' | 'stopped';
  /** Why the WAL refuses appends (state `failed`). */
  readonly failure?: string;
  /** Reopen attempts that failed since the WAL last failed. */
  readonly failedReopens: number;
  /** Successful reopens since start. */
  readonly reopens: number;
}

export interface WalSupervisorOptions {
  readonly id: string;
  readonly logger: ComponentLogger;
  /** Opens and recovers the WAL and starts what runs on it (integrity). */
  readonly open: () => Promise<Wal>;
  /** Stops what runs on the WAL and closes it (releasing its lock). */
  readonly close: (wal: Wal) => Promise<void>;
  /** First wait before reopening; doubles per failed attempt. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

export class WalSupervisor {
  private readonly o: WalSupervisorOptions;
  private current: Wal | undefined;
  private failure: Error | undefined;
  private failedReopens = 0;
  private reopens = 0;
  private timer: NodeJS.Timeout | undefined;
  private reopening: Promise<void> | undefined;
  private stopped = false;

  constructor(o: WalSupervisorOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    this.current = await this.o.open();
  }

  /** The open WAL; undefined before `start()`. */
  get wal(): Wal | undefined {
    return this.current;
  }

  health(): WalHealth {
    const base = { failedReopens: this.failedReopens, reopens: this.reopens };
    if (this.stopped || !this.current) return { state: 'stopped', ...base };
    if (this.failure) return { state: 'failed', failure: this.failure.message, ...base };
    return { state: 'ok', ...base };
  }

  /** Throws the failure while the WAL is failed and not yet reopened; otherwise returns the open WAL. */
  usable(): Wal | undefined {
    if (this.failure) throw this.failure;
    return this.current;
  }

  /** Called after an append on `wal` failed: starts the reopen cycle if the WAL is now refusing everything. */
  noteError(wal: Wal): void {
    if (this.stopped || wal !== this.current || this.failure || !wal.failure) return;
    this.failure = wal.failure;
    this.o.logger.error(
      `${this.o.id}: the WAL refuses appends (${wal.failure.message}); reopening it with recovery`,
    );
    this.schedule();
  }

  /** Stops reopening and closes the WAL. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.reopening;
    const wal = this.current;
    if (wal) await this.o.close(wal);
  }

  private schedule(): void {
    const delay = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** this.failedReopens);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reopening = this.reopen().finally(() => (this.reopening = undefined));
    }, delay);
    this.timer.unref();
  }

  private async reopen(): Promise<void> {
    const old = this.current;
    if (this.stopped || !old) return;
    try {
      await this.o.close(old);
    } catch (err) {
      this.o.logger.warn(`${this.o.id}: closing the failed WAL: ${String(err)}`);
    }
    if (this.stopped) return;
    try {
      this.current = await this.o.open();
    } catch (err) {
      this.failedReopens++;
      this.o.logger.error(
        `${this.o.id}: reopening the WAL failed (attempt ${this.failedReopens}): ${String(err)}`,
      );
      if (!this.stopped) this.schedule();
      return;
    }
    this.failure = undefined;
    this.failedReopens = 0;
    this.reopens++;
    this.o.logger.info(`${this.o.id}: the WAL is open again (recovered from disk)`);
  }
}
