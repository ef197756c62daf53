/**
 * Regression seeds for ClockJumpBackward's sanity check ("the clock was not
 * injected"): the three iterations of the a3efd33 simulated run (seed
 * 20261128, report bc8cbf9) that failed only on it — workloads that
 * acknowledged nothing on one side of every backward jump. With the
 * injected clock they must pass (every oracle check of them passed then
 * too); the check itself still fires on an uninjected clock
 * (clockJump.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { clockJumpBackward } from './clockJumpBackward.ts';

const SEEDS = [3857020233, 1498715402, 2580864431];

describe('ClockJumpBackward: seeds that once failed the sanity check', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed} passes`, async () => {
      const result = await clockJumpBackward.run({
        seed,
        iteration: 0,
        workDir: '',
        signal: new AbortController().signal,
      });
      expect(result.violations).toEqual([]);
      expect(result.ok).toBe(true);
    }, 60_000);
  }
});
