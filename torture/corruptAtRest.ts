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
import type { RecoveryReport } from '../src/wal/recover.ts';
import { seqList, type InjectedDamage } from './oracle.ts';
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
 * so only the frames recovery had to name may still be missing — and, when
 * the damage reached below the high-water mark, the hit frames above the mark
 * too (`stillDamaged`).
 */
export async function appendAgainAndCheck(
  d: DamagedWal,
  rng: Prng,
  opts: { readonly verify: boolean },
): Promise<string[]> {
  const reported = reportedSeqs(d.h.wal?.recovery);
  await runWorkload(d.h, rng, rng.int(2, 8));
  await d.h.settle();
  await d.h.close();
  const named = stillDamaged(d.damage, d.h.ledger.acknowledged, reported);
  return d.h.check(`${d.where}, appending again and reopening`, { damage: named, verify: opts.verify });
}

/**
 * What the damage may still have destroyed, and must still be named, at the reopen after the writer
 * appended again. Without a loss below the high-water mark: the frames recovery had to name (the torn
 * tail's numbers were reused). With one (`lostBelowMark`), the accepted open cut no torn tail at the mark's
 * segment — it reads the whole of it and names every damaged frame as corruption, and leaves an empty
 * boundary segment after it — so every hit frame ABOVE the mark that the new records did not take (a frame
 * read as a torn tail after the last intact one may be reused) may still be missing, and every one the
 * first reopen's recovery named must be named again: its bytes are still there. (Before, only the frames
 * up to the mark were expected, and RandomCorruption seed 3162143073 — bit flips in records 27 and 34 above
 * the mark 26 — failed with "recovery reports records 27, 34 as damaged, but the injected damage did not
 * touch them".)
 */
export function stillDamaged(
  damage: InjectedDamage,
  acknowledged: ReadonlyMap<number, Uint8Array>,
  reportedAtFirstReopen: ReadonlySet<number>,
): InjectedDamage {
  if (damage.lostBelowMark === undefined)
    return { mayLose: damage.mustReport, mustReport: damage.mustReport };
  const mayLose = new Set(damage.mustReport);
  const mustReport = new Set(damage.mustReport);
  for (const s of damage.mayLose) {
    if (acknowledged.has(s)) continue;
    mayLose.add(s);
    if (reportedAtFirstReopen.has(s)) mustReport.add(s);
  }
  return { mayLose, mustReport };
}

function reportedSeqs(recovery: RecoveryReport | undefined): Set<number> {
  const out = new Set<number>();
  for (const c of recovery?.corruptions ?? []) {
    if (c.seqFrom === undefined) continue;
    for (let s = c.seqFrom; s <= (c.seqTo ?? c.seqFrom); s++) out.add(s);
  }
  return out;
}
