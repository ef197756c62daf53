/**
 * Regression seeds for the at-rest corruption scenarios after the WAL's
 * high-water mark (25f146e, 484b6ec):
 * - 4237024074: the newest segment truncated below the mark; verify names the
 *   cut records as `records-lost`, which the oracle took for verify missing
 *   the damage (fixed in oracle.ts, verifyNamedSeqs);
 * - 3162143073: bit flips below the mark (record 26) and above it (27, 34);
 *   the accepted open names 27 and 34 as corruption and they stay so after
 *   the writer appends again, which the second check did not allow
 *   (corruptAtRest.ts, stillDamaged).
 * Each failed on the previous harness; the oracle's own tests show that the
 * checks still fire.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../Scenario.ts';
import { randomCorruption } from './randomCorruption.ts';
import { resumeAfterCorruption } from './resumeAfterCorruption.ts';

const SEEDS = [4237024074, 3162143073];

describe.each<Scenario>([randomCorruption, resumeAfterCorruption])(
  '$name: seeds of the high-water mark',
  (s) => {
    for (const seed of SEEDS) {
      it(`seed ${seed} passes`, async () => {
        const result = await s.run({ seed, iteration: 0, workDir: '', signal: new AbortController().signal });
        expect(result.violations).toEqual([]);
        expect(result.ok).toBe(true);
        expect(result.faults).toBeGreaterThan(0);
      }, 60_000);
    }
  },
);
