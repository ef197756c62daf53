/**
 * The common first half of the at-rest corruption scenarios: a chained WAL
 * is written, closed cleanly or crashed (un-synced data all lost or all kept,
 * so the image is clean), mapped, and then damaged 1 to 3 times in sealed
 * segments and in the one that was active.
 */
import {
  assessDamage,
  damageSegment,
  describeDamage,
  type DamageAssessment,
  type DamageOp,
} from './damage.ts';
import { mapWal } from './frameMap.ts';
import { seqList } from './oracle.ts';
import type { Prng } from './prng.ts';
import { SimWalHarness } from './SimWalHarness.ts';
import { randomWalOptions } from './walShapes.ts';
import { runWorkload } from './workload.ts';

export interface DamagedWal {
  readonly h: SimWalHarness;
  readonly ops: readonly DamageOp[];
  readonly damage: DamageAssessment;
  /** "after crash: lose, then bit 3 flipped at ...+812 (hit record 17)" */
  readonly where: string;
  /** Set when the new WAL did not even open. */
  readonly openError: unknown;
}

export async function writeThenDamage(rng: Prng): Promise<DamagedWal> {
  const h = new SimWalHarness({
    seed: rng.u32(),
    chained: true,
    wal: randomWalOptions(rng),
    checkpointEveryRecords: rng.int(2, 16),
  });
  const openError = h.open();
  await runWorkload(h, rng, rng.int(6, 30));
  await h.settle();
  const ending = rng.pick(['close', 'crash: lose', 'crash: keep'] as const);
  if (ending === 'close') await h.close();
  else h.crash(ending === 'crash: lose' ? 'lose' : 'keep', rng.u32());
  const layouts = mapWal(h.disk, h.dir);
  const withFrames = layouts.filter((s) => s.frames.length > 0);
  const ops: DamageOp[] = [];
  const count = rng.int(1, 3);
  for (let i = 0; i < count && layouts.length > 0; i++) {
    // Mostly segments holding records; sometimes any segment (an empty new one, headers).
    const seg = rng.chance(0.85) && withFrames.length > 0 ? rng.pick(withFrames) : rng.pick(layouts);
    ops.push(damageSegment(h.disk, seg, rng, ['flip', 'flip', 'zero-sector', 'truncate']));
  }
  const damage = assessDamage(h.disk, layouts);
  const what = `${ending}, then ${ops.map(describeDamage).join('; ') || 'no damage'}`;
  return { h, ops, damage, where: `after ${what} (hit ${seqList([...damage.hit])})`, openError };
}

/**
 * The second half: after the damaged WAL was reopened (and recovery cut any
 * torn tail), the writer appends again, closes, and the WAL is reopened and
 * checked once more. The torn tail's numbers were reused by the new records,
 * so only the frames recovery had to name may still be missing.
 */
export async function appendAgainAndCheck(
  d: DamagedWal,
  rng: Prng,
  opts: { readonly verify: boolean },
): Promise<string[]> {
  await runWorkload(d.h, rng, rng.int(2, 8));
  await d.h.settle();
  await d.h.close();
  const named = { mayLose: d.damage.mustReport, mustReport: d.damage.mustReport };
  return d.h.check(`${d.where}, appending again and reopening`, { damage: named, verify: opts.verify });
}
