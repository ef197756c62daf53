/**
 * A clock-jump iteration stopped by the run's time budget skips its final
 * close and check, so the record list it kept is not the WAL's final state;
 * it must not then compare time-range replays against that stale list.
 * Found in `npm test` (ClockJumpBackward seed 1770098583: "returns records
 * 32..65, whose time is outside" [0, epoch], the range used for an empty
 * list) when the 3.5 s budget ran out after a backward jump.
 */
import { describe, expect, it } from 'vitest';
import { clockJumpBackward } from './clockJumpBackward.ts';
import { clockJumpForward } from './clockJumpForward.ts';

/** A signal that reads as aborted from its `reads + 1`-th look on: the budget running out mid-iteration. */
function abortedAfter(reads: number): AbortSignal {
  let looks = 0;
  return {
    get aborted() {
      return ++looks > reads;
    },
  } as unknown as AbortSignal;
}

describe('clock-jump scenarios stopped by the time budget', () => {
  it('report no violation from records they did not finish checking', async () => {
    for (const scenario of [clockJumpBackward, clockJumpForward]) {
      for (let seed = 1; seed <= 40; seed++) {
        for (const reads of [0, 1, 2]) {
          const r = await scenario.run({ seed, iteration: seed, workDir: '', signal: abortedAfter(reads) });
          expect(r.violations, `${scenario.name} seed ${seed}, stopped after ${reads} looks`).toEqual([]);
        }
      }
    }
  }, 120_000);
});
