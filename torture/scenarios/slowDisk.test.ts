/**
 * SlowDisk counts as faults only the backpressure that really happened:
 * appends the WAL held for room (`block`) or refused (`reject`), read from
 * the WAL's own counters — not a fault per iteration whatever happened.
 */
import { describe, expect, it } from 'vitest';
import { iterationSeed } from '../prng.ts';
import { SimWalHarness } from '../SimWalHarness.ts';
import { slowDisk, submitWatched } from './slowDisk.ts';

function harness(whenQueueFull: 'block' | 'reject', queueRecordsMax: number): SimWalHarness {
  const h = new SimWalHarness({
    seed: 1,
    chained: false,
    wal: { segmentBytesMax: 65_536, payloadBytesMax: 2048, queueRecordsMax, whenQueueFull },
  });
  expect(h.open()).toBeUndefined();
  return h;
}

describe('SlowDisk backpressure', () => {
  it('an append that fits the queue is neither held nor refused', async () => {
    const h = harness('block', 128);
    const watched = [1, 2, 3].map((n) => submitWatched(h, n));
    expect(watched.map((w) => w.held)).toEqual([false, false, false]);
    expect((await Promise.all(watched.map((w) => w.outcome))).every((o) => o.ok)).toBe(true);
    expect(h.wal?.status().refusedAppends).toBe(0);
  });

  it('an append over a full queue in block mode is held, then acknowledged', async () => {
    const h = harness('block', 2);
    h.setSyncDelayTurns(20);
    const watched = [1, 1, 1, 1].map((n) => submitWatched(h, n));
    expect(watched.map((w) => w.held)).toEqual([false, false, true, true]);
    expect((await Promise.all(watched.map((w) => w.outcome))).every((o) => o.ok)).toBe(true);
  });

  it('an append over a full queue in reject mode is refused, not held', async () => {
    const h = harness('reject', 2);
    h.setSyncDelayTurns(20);
    const watched = [1, 1, 1].map((n) => submitWatched(h, n));
    expect(watched.map((w) => w.held)).toEqual([false, false, false]);
    const outcomes = await Promise.all(watched.map((w) => w.outcome));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false]);
    expect(h.wal?.status().refusedAppends).toBe(1);
  });

  it("an iteration's faults are the appends it saw refused or held", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await slowDisk.run({
        seed: iterationSeed(1, i),
        iteration: i,
        workDir: '',
        signal: new AbortController().signal,
      });
      expect(r.ok).toBe(true);
      expect(r.faults).toBe((r.metrics?.refusals ?? NaN) + (r.metrics?.held ?? NaN));
    }
  });
});
