/**
 * RandomCorruption: a chained, signed WAL is written, then closed cleanly or
 * crashed; the medium is damaged 1 to 3 times — bit flips, zeroed 512-byte
 * sectors, truncations — in sealed segments and in the segment that was
 * active (torture/corruptAtRest.ts, torture/damage.ts). Required:
 * - `verifyWal` on the damaged directory names, by sequence number, every
 *   frame the damage destroyed, and nothing else — except damage the WAL
 *   cannot tell from a torn final write (newest segment, no later write
 *   after it), which may be dropped as a torn tail by design;
 * - reopening works, recovery names exactly the same frames and keeps every
 *   intact record, byte-exact;
 * - the writer appends again, and a second reopen still holds every record,
 *   old and new, and still names the destroyed ones. (Whether the hash
 *   CHAIN continues cleanly after such a loss is ResumeAfterCorruption's.)
 */
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { appendAgainAndCheck, writeThenDamage } from '../corruptAtRest.ts';
import { faultsOf } from '../damage.ts';
import { Prng } from '../prng.ts';
import { describeError } from '../SimWalHarness.ts';

export const randomCorruption: Scenario = {
  name: 'RandomCorruption',
  kind: 'simulated',
  description:
    'after a close or crash: bit flips, zeroed sectors, truncation in sealed and active segments; verify and recovery must name exactly the destroyed records and keep every intact one',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const d = await writeThenDamage(rng);
  const violations: string[] = [];
  if (d.openError !== undefined) violations.push(`the new WAL did not open: ${describeError(d.openError)}`);
  // verify first, on the damaged directory as an operator would find it; then reopen (recovery).
  violations.push(...d.h.check(d.where, { damage: d.damage, verify: d.h.verify() }));
  if (violations.length === 0 && !ctx.signal.aborted) {
    violations.push(...(await appendAgainAndCheck(d, rng, { verify: false })));
  }
  return {
    ok: violations.length === 0,
    acknowledged: d.h.ledger.ackCount,
    faults: faultsOf(d.ops),
    violations,
    metrics: {
      hitRecords: d.damage.hit.size,
      reportable: d.damage.mustReport.size,
      tornZone: d.damage.tornZone.size,
    },
  };
}
