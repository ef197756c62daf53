/**
 * ConcurrentCorruption: while a chained WAL is being written, sealed
 * segments (never the active one) are damaged — bit flips, zeroed sectors,
 * truncations — as bit rot or a stray process would. Required: the writer
 * keeps acknowledging (it never needs the sealed segments again); after a
 * clean close, `verifyWal` and recovery name exactly the sequence numbers
 * of the destroyed frames, and every other record is there, byte-exact.
 */
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { assessDamage, damageSegment, describeDamage, faultsOf, type DamageOp } from '../damage.ts';
import { mapWal, type SegmentLayout } from '../frameMap.ts';
import { seqList } from '../oracle.ts';
import { Prng } from '../prng.ts';
import { describeError, errorCode, SimWalHarness } from '../SimWalHarness.ts';
import { TORTURE_PAYLOAD_BYTES_MAX } from '../walShapes.ts';
import { runWorkload } from '../workload.ts';

export const concurrentCorruption: Scenario = {
  name: 'ConcurrentCorruption',
  kind: 'simulated',
  description:
    'sealed segments damaged while writing goes on: the writer keeps acknowledging; verify and recovery name exactly the damaged records',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const h = new SimWalHarness({
    seed: rng.u32(),
    chained: true,
    // Small segments, so that several are sealed while writing goes on.
    wal: {
      segmentBytesMax: rng.pick([4096, 8192]),
      payloadBytesMax: TORTURE_PAYLOAD_BYTES_MAX,
      preallocate: rng.pick(['auto', 'inline', 'background', 'off'] as const),
    },
    checkpointEveryRecords: rng.int(2, 16),
  });
  const violations: string[] = [];
  const openError = h.open();
  if (openError !== undefined) violations.push(`the new WAL did not open: ${describeError(openError)}`);
  // Each damaged segment's map is taken before its first damage; a sealed segment never changes otherwise.
  const maps = new Map<string, SegmentLayout>();
  const ops: DamageOp[] = [];
  const rounds = rng.int(3, 8);
  for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
    await runWorkload(h, rng, rng.int(3, 12));
    const layouts = mapWal(h.disk, h.dir);
    const sealed = layouts.slice(0, -1).filter((s) => s.frames.length > 0);
    if (sealed.length === 0 || !rng.chance(0.7)) continue;
    const seg = rng.pick(sealed);
    if (!maps.has(seg.path)) maps.set(seg.path, seg);
    ops.push(damageSegment(h.disk, seg, rng, ['flip', 'flip', 'zero-sector', 'truncate']));
  }
  await h.settle();
  const refused = h.liveRejections();
  if (refused.length > 0) {
    violations.push(
      `the writer refused ${refused.length} appends while sealed segments were damaged: ${[...new Set(refused.map(errorCode))].join(', ')}`,
    );
  }
  await h.close();
  const damaged = [...maps.values()].sort((a, b) => a.firstSeq - b.firstSeq);
  const damage = assessDamage(h.disk, damaged, { newestIsLast: false });
  const where = `after ${ops.map(describeDamage).join('; ') || 'no damage'} (hit ${seqList([...damage.hit])})`;
  if (violations.length === 0) violations.push(...h.check(where, { damage, verify: h.verify() }));
  return {
    ok: violations.length === 0,
    acknowledged: h.ledger.ackCount,
    faults: faultsOf(ops),
    violations,
    metrics: { hitRecords: damage.hit.size },
  };
}
