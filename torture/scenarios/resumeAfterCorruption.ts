/**
 * ResumeAfterCorruption: RandomCorruption's damage, then the question the
 * integrity layer must answer: once records are lost to the medium, does
 * the writer continue the hash chain so that `verifyWal` reports the loss
 * (bit rot, the deletion, a checkpoint that covers lost records) and
 * nothing else? Records written AFTER recovery must not be reported as
 * inserted, reordered or forked: they were never tampered with.
 */
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { appendAgainAndCheck, writeThenDamage } from '../corruptAtRest.ts';
import { faultsOf } from '../damage.ts';
import { Prng } from '../prng.ts';
import { describeError } from '../SimWalHarness.ts';

export const resumeAfterCorruption: Scenario = {
  name: 'ResumeAfterCorruption',
  kind: 'simulated',
  description:
    'RandomCorruption, then the writer resumes: the chain must continue so that verify reports only the loss, never the new records',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const d = await writeThenDamage(rng);
  const violations: string[] = [];
  if (d.openError !== undefined) violations.push(`the new WAL did not open: ${describeError(d.openError)}`);
  violations.push(...d.h.check(d.where, { damage: d.damage }));
  if (violations.length === 0 && !ctx.signal.aborted) {
    violations.push(...(await appendAgainAndCheck(d, rng, { verify: true })));
  }
  return {
    ok: violations.length === 0,
    acknowledged: d.h.ledger.ackCount,
    faults: faultsOf(d.ops),
    violations,
  };
}
