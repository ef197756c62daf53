import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SHUTDOWN_DEADLINE_MS, Lifecycle, ShutdownDeadline } from './lifecycle.ts';

/** How `p` settles, or 'pending' if it has not within `ms`. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<string> {
  const outcome = p.then(
    () => 'resolved',
    (err: unknown) => `rejected ${(err as { code?: string }).code}`,
  );
  return Promise.race([outcome, new Promise<string>((r) => setTimeout(() => r('pending'), ms))]);
}

/** A Lifecycle whose shutdown work never ends, and what it was handed. */
function hanging(): { lifecycle: Lifecycle; runs: () => number; deadlines: ShutdownDeadline[] } {
  let runs = 0;
  const deadlines: ShutdownDeadline[] = [];
  const lifecycle = new Lifecycle(
    () => Promise.resolve(),
    (deadline) => {
      runs++;
      deadlines.push(deadline);
      return new Promise<void>(() => undefined);
    },
  );
  return { lifecycle, runs: () => runs, deadlines };
}

describe('Lifecycle.shutdown: one shutdown, the earliest deadline wins (as Service.shutdown)', () => {
  it('every call returns the same promise and the work runs once', async () => {
    let runs = 0;
    const lifecycle = new Lifecycle(
      () => Promise.resolve(),
      async () => {
        runs++;
      },
    );
    const first = lifecycle.shutdown(5_000);
    const second = lifecycle.shutdown(1_000);
    expect(second).toBe(first);
    await first;
    expect(lifecycle.shutdown()).toBe(first);
    expect(runs).toBe(1);
  });

  it('a later call with an earlier deadline brings the end forward: the promise rejects then', async () => {
    // before, the first call's promise waited its own 10 s
    const { lifecycle } = hanging();
    const first = lifecycle.shutdown(10_000);
    const second = lifecycle.shutdown(50);
    expect(await settledWithin(first, 2_000)).toBe('rejected SHUTDOWN_TIMEOUT');
    expect(await settledWithin(second, 0)).toBe('rejected SHUTDOWN_TIMEOUT');
  });

  it('a later call with a later deadline does not push the end back', async () => {
    // before, the second call's promise waited its own 60 s
    const { lifecycle, runs } = hanging();
    const first = lifecycle.shutdown(50);
    const second = lifecycle.shutdown(60_000);
    expect(await settledWithin(second, 2_000)).toBe('rejected SHUTDOWN_TIMEOUT');
    expect(await settledWithin(first, 0)).toBe('rejected SHUTDOWN_TIMEOUT');
    expect(runs()).toBe(1);
  });

  it('the work is handed the deadline and sees it come forward', async () => {
    const { lifecycle, deadlines } = hanging();
    void lifecycle.shutdown(10_000).catch(() => undefined);
    const deadline = deadlines[0] as ShutdownDeadline;
    let expiredAt = 0;
    deadline.onExpiry(() => (expiredAt = Date.now()));
    const t0 = Date.now();
    expect(deadline.remainingMs()).toBeGreaterThan(9_000);
    void lifecycle.shutdown(50).catch(() => undefined);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(50);
    await new Promise((r) => setTimeout(r, 300));
    expect(expiredAt).toBeGreaterThan(0);
    expect(expiredAt - t0).toBeLessThan(300);
  });

  it('a work that finishes resolves every call', async () => {
    let finish = (): void => undefined;
    const lifecycle = new Lifecycle(
      () => Promise.resolve(),
      () => new Promise<void>((r) => (finish = r)),
    );
    const first = lifecycle.shutdown(5_000);
    const second = lifecycle.shutdown(4_000);
    finish();
    expect(await settledWithin(first, 1_000)).toBe('resolved');
    expect(await settledWithin(second, 0)).toBe('resolved');
    expect(lifecycle.isShutDown).toBe(true);
    await expect(lifecycle.start()).rejects.toMatchObject({ code: 'LIFECYCLE' });
  });

  it('a work that throws at once rejects the promise (no exception from shutdown())', async () => {
    const lifecycle = new Lifecycle(
      () => Promise.resolve(),
      () => {
        throw new Error('boom');
      },
    );
    await expect(lifecycle.shutdown(1_000)).rejects.toThrow('boom');
  });
});

describe('Lifecycle.shutdown during start, and odd deadlines', () => {
  it('a shutdown asked for while starting runs its work once the start has ended, not beside it', async () => {
    // Before, the work ran at once, beside the start: an OtlpReceiver closed servers still binding, which
    // then listened for good (test/receiver-shutdown.test.ts).
    const events: string[] = [];
    let endStart = (): void => undefined;
    const lifecycle = new Lifecycle(
      () =>
        new Promise<void>((r) => (endStart = r)).then(() => {
          events.push('started');
        }),
      async () => {
        events.push('shutdown work');
      },
    );
    const start = lifecycle.start();
    const stop = lifecycle.shutdown(5_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual([]);
    endStart();
    await start;
    expect(await settledWithin(stop, 1_000)).toBe('resolved');
    expect(events).toEqual(['started', 'shutdown work']);
  });

  it('a failed start is waited for too; a start that hangs still lets the promise reject at the deadline, and the work runs when it ends', async () => {
    let failStart = (): void => undefined;
    let runs = 0;
    const failing = new Lifecycle(
      () => new Promise<void>((_, reject) => (failStart = () => reject(new Error('bind')))),
      async () => {
        runs++;
      },
    );
    const start = failing.start().catch(() => undefined);
    const stop = failing.shutdown(50);
    expect(await settledWithin(stop, 1_000)).toBe('rejected SHUTDOWN_TIMEOUT');
    expect(runs).toBe(0);
    failStart();
    await start;
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(1);
  });

  it('shutdown(NaN) takes the default deadline (not none); shutdown(Infinity) has none', async () => {
    // Before, NaN left the deadline at Infinity: a shutdown that never timed out.
    const nan = hanging();
    const t0 = performance.now();
    void nan.lifecycle.shutdown(NaN).catch(() => undefined);
    const d = nan.deadlines[0] as ShutdownDeadline;
    expect(d.endsAtMs).toBeGreaterThanOrEqual(t0 + DEFAULT_SHUTDOWN_DEADLINE_MS);
    expect(d.endsAtMs).toBeLessThan(performance.now() + DEFAULT_SHUTDOWN_DEADLINE_MS + 1_000);
    void nan.lifecycle.shutdown(50).catch(() => undefined); // still brought forward by a later call
    expect(d.remainingMs()).toBeLessThanOrEqual(50);
    const inf = hanging();
    void inf.lifecycle.shutdown(Infinity).catch(() => undefined);
    expect((inf.deadlines[0] as ShutdownDeadline).endsAtMs).toBe(Infinity);
  });

  it('ShutdownDeadline.in(NaN) is the default deadline too (a server close(NaN) is still forced)', () => {
    const t0 = performance.now();
    const d = ShutdownDeadline.in(NaN);
    expect(d.endsAtMs).toBeGreaterThanOrEqual(t0 + DEFAULT_SHUTDOWN_DEADLINE_MS);
    expect(d.endsAtMs).toBeLessThan(performance.now() + DEFAULT_SHUTDOWN_DEADLINE_MS + 1_000);
    expect(ShutdownDeadline.in(Infinity).endsAtMs).toBe(Infinity);
  });

  it('a deadline already past rejects soon', async () => {
    const { lifecycle } = hanging();
    expect(await settledWithin(lifecycle.shutdown(-1_000), 1_000)).toBe('rejected SHUTDOWN_TIMEOUT');
  });
});

describe('ShutdownDeadline', () => {
  it('only comes earlier; onExpiry fires once at the end it has then, and can be cancelled', async () => {
    const d = new ShutdownDeadline();
    expect(d.remainingMs()).toBe(Infinity);
    const now = performance.now();
    expect(d.tighten(now + 10_000)).toBe(true);
    expect(d.tighten(now + 20_000)).toBe(false);
    expect(d.endsAtMs).toBe(now + 10_000);
    let fired = 0;
    let cancelledFired = 0;
    d.onExpiry(() => fired++);
    const cancel = d.onExpiry(() => cancelledFired++);
    cancel();
    d.tighten(performance.now() + 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(fired).toBe(1);
    expect(cancelledFired).toBe(0);
    // past: at once
    let late = 0;
    d.onExpiry(() => late++);
    await new Promise((r) => setTimeout(r, 20));
    expect(late).toBe(1);
    expect(ShutdownDeadline.in(1_000).remainingMs()).toBeLessThanOrEqual(1_000);
  });

  it('a deadline beyond what one setTimeout can wait (2^31 - 1 ms) does not fire early', () => {
    vi.useFakeTimers();
    try {
      const d = ShutdownDeadline.in(2 ** 31 + 10_000);
      let fired = 0;
      d.onExpiry(() => fired++);
      vi.advanceTimersByTime(2 ** 31);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(10_000);
      expect(fired).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
