/**
 * FsyncFailure: fsync/fdatasync fails with EIO at random points, with
 * fsyncgate semantics (SimDisk: the failed pages are marked clean, so no
 * later sync persists them, while reads still show them until a crash).
 * Required: a batch whose sync failed is never acknowledged — it is
 * refused with a retryable WAL_SYNC_FAILED (or WAL_IO when the failed sync
 * sealed or created a segment, or WAL_FAILED when the WAL must be reopened);
 * nothing acknowledged earlier is lost; the writer goes on; and after a
 * power loss — mostly `lose`, which keeps exactly what was made durable —
 * every acknowledged record is there.
 */
import { OtelAuditError } from '../../src/errors.ts';
import type { CrashMode } from '../../src/wal/fs/SimDisk.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { startPhasedRun } from '../phases.ts';
import { Prng } from '../prng.ts';
import { describeError } from '../SimWalHarness.ts';
import { runWorkload } from '../workload.ts';

const ALLOWED = new Set(['WAL_SYNC_FAILED', 'WAL_IO', 'WAL_FAILED']);

export const fsyncFailure: Scenario = {
  name: 'FsyncFailure',
  kind: 'simulated',
  description:
    'EIO on fsync (fsyncgate semantics): the batch is never acknowledged, nothing earlier is lost, the writer goes on; power loss afterwards keeps every acknowledged record',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const { h, violations, phases, where: phaseName } = startPhasedRun(rng);
  let faults = 0;
  let reopens = 0;
  for (let p = 1; p <= phases && violations.length === 0 && !ctx.signal.aborted; p++) {
    const where = phaseName(p);
    await runWorkload(h, rng, rng.int(1, 6));
    const failures = rng.int(1, 2);
    h.disk.failNextSync('EIO', failures);
    const eioBefore = h.diskErrorCount('EIO');
    const before = h.rejections.length;
    await runWorkload(h, rng, rng.int(3, 14));
    await h.settle();
    // Only the failures a sync actually met count (the workload may not have synced that often).
    faults += h.diskErrorCount('EIO') - eioBefore;
    let mustReopen = false;
    for (const r of h.rejections.slice(before)) {
      if (r.afterCrash) continue;
      const e = r.error;
      if (!(e instanceof OtelAuditError) || !ALLOWED.has(e.code) || !e.retryable) {
        violations.push(`${where}: an append failed with ${describeError(e)}, not a retryable sync failure`);
      } else if (e.code === 'WAL_FAILED') {
        mustReopen = true;
      }
    }
    h.disk.clearFaults();
    if (mustReopen) {
      // The WAL asked to be reopened (its state after the failure is only known from disk).
      reopens++;
      await h.close();
      violations.push(...h.check(`${where}, reopening as WAL_FAILED asks`));
    }
    const mode = rng.weighted<CrashMode>([
      [2, 'lose'],
      [1, 'tear'],
      [1, 'keep'],
    ]);
    await h.tick(rng.int(0, 2));
    h.crash(mode, rng.u32());
    await h.settle();
    violations.push(...h.check(`${where}, after power loss (${mode})`));
  }
  if (violations.length === 0 && !ctx.signal.aborted) {
    await runWorkload(h, rng, rng.int(1, 6));
    await h.settle();
    await h.close();
    violations.push(...h.check('after a clean close', { verify: true }));
  }
  return {
    ok: violations.length === 0,
    acknowledged: h.ledger.ackCount,
    faults,
    violations,
    metrics: {
      refusedAppends: h.liveRejections().length,
      reopens,
      strictFailuresDuringAsync: h.strictFailuresDuringAsync,
    },
  };
}
