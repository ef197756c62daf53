/**
 * Shutdown deadlines are kept on a monotonic clock (lifecycle.ts `deadlineClockMs`): a step of the wall
 * clock during a shutdown (NTP, a VM resumed, an operator) neither cuts it short nor keeps a process past
 * its deadline. Before, deadlines were `Date.now()` times: after a step forward of an hour a component
 * was told no time was left (servers force-closed their connections), and after a step back a hung
 * component was waited for an hour. The wall clock is stepped by replacing `Date.now` (everything else runs for real).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeService } from '../../test/helpers/fakeService.ts';
import { Lifecycle } from './lifecycle.ts';

const HOUR_MS = 3_600_000;
afterEach(() => vi.restoreAllMocks());

/** Steps the wall clock (`Date.now`) by `ms` from now on. */
function stepWallClock(ms: number): void {
  const now = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => now() + ms);
}

/** How `p` settles, or 'pending' if it has not within `ms`. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<string> {
  const outcome = p.then(
    () => 'resolved',
    (err: unknown) => `rejected ${(err as { code?: string }).code}`,
  );
  return Promise.race([outcome, new Promise<string>((r) => setTimeout(() => r('pending'), ms))]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a wall-clock step during a shutdown', () => {
  it('forward an hour: a component is still told the time it has left, and is not timed out', async () => {
    let leftMs: number | undefined;
    const lifecycle = new Lifecycle(
      () => Promise.resolve(),
      async (deadline) => {
        await sleep(100); // the wall clock steps meanwhile
        leftMs = deadline.remainingMs(); // what a server reads to decide how long to drain its requests
        await sleep(200);
      },
    );
    const done = lifecycle.shutdown(5_000);
    await sleep(20);
    stepWallClock(HOUR_MS);
    expect(await settledWithin(done, 4_000)).toBe('resolved');
    // Before: 0 (the deadline looked an hour past), and servers force-closed their connections at once.
    expect(leftMs).toBeGreaterThan(3_000);
    expect(leftMs).toBeLessThanOrEqual(5_000);
  });

  it('back an hour: a component that hangs is still timed out at its deadline', async () => {
    const lifecycle = new Lifecycle(
      () => Promise.resolve(),
      () => new Promise<void>(() => undefined),
    );
    const done = lifecycle.shutdown(300);
    await sleep(50);
    stepWallClock(-HOUR_MS);
    expect(await settledWithin(done, 3_000)).toBe('rejected SHUTDOWN_TIMEOUT');
  });

  it('back an hour: a Service whose exporter hangs still ends its shutdown at the deadline, not an hour later', async () => {
    const { service, exporter } = fakeService('/nonexistent/not-opened');
    exporter.shutdown = () => new Promise<void>(() => undefined); // holds its stage to the end
    await service.start();
    const done = service.shutdown(300);
    stepWallClock(-HOUR_MS);
    // The exporters' stage lasts at least its 1 s minimum; then the service reports the one it left running.
    // Before: every stage's cut and the outer bound were Date.now() times, an hour away after the step.
    expect(await settledWithin(done, 8_000)).toBe('rejected SHUTDOWN_TIMEOUT');
  });
});
