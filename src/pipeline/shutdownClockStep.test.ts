/**
 * Shutdown deadlines are kept on a monotonic clock (lifecycle.ts `deadlineClockMs`): a step of the wall
 * clock during a shutdown (NTP, a VM resumed, an operator) neither cuts it short nor keeps a process past
 * its deadline. Before, deadlines were `Date.now()` times: a step forward of an hour timed a healthy
 * Service's shutdown out at once (SHUTDOWN_TIMEOUT), and a step back kept a hung component waited for an
 * hour. The wall clock is stepped by replacing `Date.now` (everything else runs for real).
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { basicConfig, startService, walRecords } from '../../test/helpers/startService.ts';
import { unsealedSegments } from '../wal/testutil/sealedSegments.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Lifecycle } from './lifecycle.ts';

const HOUR_MS = 3_600_000;
const tmp = makeTempDir('otel-audit-clock-step-');
afterAll(() => tmp.cleanup());
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

  it('forward an hour: a Service shuts down cleanly, its WAL sealed with every record', async () => {
    const walDir = path.join(tmp.dir, 'service');
    const s = await startService(basicConfig(walDir));
    const sent = ['a', 'b', 'c'];
    for (const body of sent) {
      const res = await fetch(s.logsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }],
        }),
      });
      expect(res.status).toBe(200);
    }
    const done = s.service.shutdown(10_000);
    stepWallClock(HOUR_MS);
    expect(await settledWithin(done, 9_000)).toBe('resolved');
    expect(walRecords(walDir).map((r) => r.body)).toEqual(sent);
    expect(unsealedSegments(walDir)).toEqual([]);
  });
});
