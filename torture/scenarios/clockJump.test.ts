/**
 * ClockJumpBackward's sanity check ("the clock was not injected") must still
 * fire when the WAL does not read the clock that jumps. Planted here: the
 * harness is handed no clock (it makes its own, which never jumps), so record
 * times only go forward; iterations without a power loss whose jumps had
 * acknowledged appends on both sides must then fail with that violation.
 */
import { describe, expect, it, vi } from 'vitest';
import type { IterationResult } from '../Scenario.ts';
import type * as HarnessModule from '../SimWalHarness.ts';

vi.mock('../SimWalHarness.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof HarnessModule>();
  class UninjectedClockHarness extends orig.SimWalHarness {
    constructor(o: ConstructorParameters<typeof orig.SimWalHarness>[0]) {
      super({ ...o, clock: undefined });
    }
  }
  return { ...orig, SimWalHarness: UninjectedClockHarness };
});

const { clockJumpBackward } = await import('./clockJumpBackward.ts');

const NOT_INJECTED = /the clock was not injected/;

describe('ClockJumpBackward sanity check', () => {
  it('fires when the jumping clock is not the one the WAL reads', async () => {
    const results: IterationResult[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      results.push(
        await clockJumpBackward.run({
          seed,
          iteration: seed,
          workDir: '',
          signal: new AbortController().signal,
        }),
      );
    }
    const fired = results.filter((r) => r.violations.some((v) => NOT_INJECTED.test(v)));
    // No record time goes backwards in any iteration: the planted clock never jumps.
    expect(results.every((r) => r.metrics?.timeReversals === 0)).toBe(true);
    expect(fired.length).toBeGreaterThan(0);
    for (const r of fired) expect(r.ok).toBe(false);
  }, 60_000);
});
