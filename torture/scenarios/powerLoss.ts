/**
 * PowerLoss: a chained, signed WAL on the simulated disk under a random
 * workload (concurrent appends, batches, strict appends, checkpoints); the
 * power fails at a random instant — between event-loop turns (commits may
 * be half written or their fsync still in flight) or at the N-th file-system
 * call (inside a synchronous step: between a write and its sync, a rename and
 * the directory sync; torture/CrashSwitchFs.ts) — with un-synced data torn
 * per sector, all lost or all kept; the WAL is reopened and the oracle applied; the writer goes on
 * and the power fails again (2 to 4 times per iteration), then a clean close
 * and a last check.
 */
import type { CrashMode } from '../../src/wal/fs/SimDisk.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { Prng } from '../prng.ts';
import { describeError, SimWalHarness } from '../SimWalHarness.ts';
import { describeShape, randomWalOptions } from '../walShapes.ts';
import { runWorkload } from '../workload.ts';

export const powerLoss: Scenario = {
  name: 'PowerLoss',
  kind: 'simulated',
  description:
    'chained WAL, random appends/batches/strict appends; power loss at a random instant (tear/lose/keep), reopen, oracle, continue; 2-4 crashes per iteration',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const wal = randomWalOptions(rng);
  const h = new SimWalHarness({
    seed: rng.u32(),
    chained: true,
    wal,
    checkpointEveryRecords: rng.int(2, 16),
  });
  const violations: string[] = [];
  const openError = h.open();
  if (openError !== undefined) violations.push(`the new WAL did not open: ${describeError(openError)}`);
  const crashes = rng.int(2, 4);
  for (let c = 1; c <= crashes && violations.length === 0 && !ctx.signal.aborted; c++) {
    await runWorkload(h, rng, rng.int(3, 20));
    const mode = rng.weighted<CrashMode>([
      [2, 'tear'],
      [1, 'lose'],
      [1, 'keep'],
    ]);
    let when: string;
    if (rng.chance(0.5)) {
      // Between event-loop turns: writes done, fsyncs possibly still in flight.
      await h.tick(rng.int(0, 3));
      h.crash(mode, rng.u32());
      when = 'between event-loop turns';
    } else {
      // At the N-th file-system call: possibly between a write and its sync, a rename and the directory sync.
      const calls = rng.int(1, 80);
      h.armCrash(calls, mode, rng.u32());
      for (let i = 0; i < 40 && !h.armedCrashFired; i++) await runWorkload(h, rng, 1);
      if (h.collectArmedCrash()) {
        when = `at file-system call ${calls} (in ${h.lastCrashStep})`;
      } else {
        h.fs.disarm();
        h.crash(mode, rng.u32());
        when = 'after the workload';
      }
    }
    await h.settle();
    violations.push(...h.check(`after power loss ${c}/${crashes} ${when} (${mode}; ${describeShape(wal)})`));
  }
  if (violations.length === 0 && !ctx.signal.aborted) {
    await runWorkload(h, rng, rng.int(2, 10));
    await h.settle();
    await h.close();
    violations.push(...h.check('after a clean close', { verify: true }));
  }
  return {
    ok: violations.length === 0,
    acknowledged: h.ledger.ackCount,
    faults: h.crashes,
    violations,
    metrics: { strictDuringAsync: h.strictDuringAsync, crashesInsideSeal: h.crashesInsideSeal },
  };
}
