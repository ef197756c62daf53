/**
 * DiskFull: the medium fills up at random points (`setCapacityBytes`: a
 * few bytes to a few segments of room left) while the writer goes on.
 * Required: every refused append is refused with a retryable WAL_DISK_FULL
 * (never another code, never silently); nothing acknowledged is lost; once
 * space is freed, appending resumes at once; a crash while full and a
 * reopen keep everything acknowledged (opening on a full disk may itself
 * be refused, with WAL_DISK_FULL — it then opens once space is freed).
 */
import { OtelAuditError } from '../../src/errors.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { startPhasedRun } from '../phases.ts';
import { Prng } from '../prng.ts';
import { describeError, errorCode } from '../SimWalHarness.ts';
import { runWorkload } from '../workload.ts';

export const diskFull: Scenario = {
  name: 'DiskFull',
  kind: 'simulated',
  description:
    'ENOSPC at random points: appends refused with retryable WAL_DISK_FULL, nothing acknowledged lost, appending resumes once space is freed',
  run,
};

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const { h, violations, phases, where: phaseName } = startPhasedRun(rng);
  let faults = 0;
  let refusedOpens = 0;
  for (let p = 1; p <= phases && violations.length === 0 && !ctx.signal.aborted; p++) {
    const where = phaseName(p);
    await runWorkload(h, rng, rng.int(1, 8));
    await h.settle();
    const room = rng.weighted([
      [1, 0],
      [3, rng.int(1, 2000)],
      [2, rng.int(2000, 20_000)],
    ]);
    h.disk.setCapacityBytes(h.disk.usedBytes + room);
    const enospcBefore = h.diskErrorCount('ENOSPC');
    const before = h.rejections.length;
    await runWorkload(h, rng, rng.int(4, 20));
    await h.settle();
    for (const r of h.rejections.slice(before)) {
      if (r.afterCrash) continue;
      if (!(r.error instanceof OtelAuditError) || r.error.code !== 'WAL_DISK_FULL' || !r.error.retryable) {
        violations.push(
          `${where}: with ${room} bytes left an append was refused with ${describeError(r.error)}, not a retryable WAL_DISK_FULL`,
        );
      }
    }
    if (rng.chance(0.3)) {
      h.crash(rng.pick(['tear', 'lose', 'keep'] as const), rng.u32());
      await h.settle();
      const e = h.open();
      if (e !== undefined) {
        refusedOpens++;
        if (!(e instanceof OtelAuditError) || e.code !== 'WAL_DISK_FULL')
          violations.push(
            `${where}: reopening on the full disk failed with ${describeError(e)}, not WAL_DISK_FULL`,
          );
      }
    }
    // The fault counts only if the disk did run out of space (the room left may have sufficed).
    if (h.diskErrorCount('ENOSPC') > enospcBefore) faults++;
    h.disk.setCapacityBytes(undefined);
    violations.push(...h.check(`${where}, after freeing space`));
    if (violations.length > 0) break;
    const resumed = await Promise.all([...h.append(rng.int(1, 3)), h.batch(rng.int(1, 4))]);
    const strict = h.strict();
    const failed = [...resumed, strict].filter((o) => !o.ok);
    if (failed.length > 0) {
      violations.push(
        `${where}: appending did not resume after space was freed: ${failed.map((o) => (o.ok ? '' : errorCode(o.error))).join(', ')}`,
      );
    }
  }
  if (violations.length === 0 && !ctx.signal.aborted) {
    await h.close();
    violations.push(...h.check('after a clean close', { verify: true }));
  }
  return {
    ok: violations.length === 0,
    acknowledged: h.ledger.ackCount,
    faults,
    violations,
    metrics: { refusedAppends: h.liveRejections().length, refusedOpens },
  };
}
