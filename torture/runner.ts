/**
 * Runs torture scenarios: N iterations each, or for a time budget, or both
 * (whichever ends first), interleaved fairly — the next iteration goes to
 * the scenario that has had the least time so far, so a slow real-process
 * scenario and a fast simulated one each get an equal share of the budget.
 *
 * Iteration i of every scenario runs the seed `iterationSeed(master, i)`
 * (iteration 0 runs the master seed), so each failure is reproduced by
 * `npm run otel-audit -- torture --scenarios NAME --seed S --iterations 1`.
 *
 * With `jobs` > 1 iterations run in parallel (parallelRunner.ts): the same
 * seeds, the same counts, the same report.
 *
 * No fake passes: a scenario that is registered as skipped, or that says at
 * run time it cannot run here, is reported SKIPPED; an iteration that found
 * nothing wrong but injected no fault (`faults: 0`) proved nothing: it is
 * counted as `noFault`, never as passed; an iteration cut short by
 * the end of the budget counts only if it failed; an iteration that throws
 * fails; an iteration that does not finish within `iterationTimeoutMs` fails
 * (and its scenario is not run again: it may still be running).
 */
import os from 'node:os';
import { runParallel } from './parallelRunner.ts';
import { iterationSeed } from './prng.ts';
import { newSlots, nextSlot, RunAccount, toResult } from './runAccounting.ts';
import { iterationTimeoutMs, runIteration } from './runIteration.ts';
import type { RunnerOptions, RunResult } from './runTypes.ts';

export type {
  FailureRecord,
  RunnerOptions,
  RunProgress,
  RunResult,
  ScenarioStats,
  ScenarioStatus,
  TimelinePoint,
} from './runTypes.ts';
export { FAILURE_VIOLATIONS_MAX, FAILURES_KEPT_MAX, reproduceCommand } from './runAccounting.ts';

export async function runTorture(o: RunnerOptions): Promise<RunResult> {
  if (o.iterations === undefined && o.durationMs === undefined) {
    throw new RangeError('runTorture needs iterations, durationMs or both');
  }
  const jobs = o.jobs ?? 1;
  if (!Number.isSafeInteger(jobs) || jobs < 1)
    throw new RangeError(`jobs must be a whole number >= 1: ${jobs}`);
  return jobs > 1 ? runParallel(o, jobs) : runSequential(o);
}

async function runSequential(o: RunnerOptions): Promise<RunResult> {
  const now = o.now ?? (() => performance.now());
  const start = now();
  const startedAt = new Date().toISOString();
  const slots = newSlots(o.scenarios);
  const account = new RunAccount(slots);
  let stoppedBy: RunResult['stoppedBy'] = 'iterations';
  const progress = (current: string | undefined): void =>
    o.onProgress?.(account.progress(o, now() - start, current));

  for (;;) {
    if (o.signal?.aborted) {
      stoppedBy = 'aborted';
      break;
    }
    const elapsed = now() - start;
    if (o.durationMs !== undefined && elapsed >= o.durationMs) {
      stoppedBy = 'duration';
      break;
    }
    const slot = nextSlot(slots, o.iterations);
    if (slot === undefined) break;
    const index = slot.nextIndex++;
    const seed = iterationSeed(o.seed, index);
    progress(slot.stats.name);
    const t0 = now();
    const { outcome, budgetRanOut } = await runIteration(slot.scenario, {
      seed,
      index,
      budgetLeftMs: o.durationMs === undefined ? undefined : o.durationMs - elapsed,
      timeoutMs: iterationTimeoutMs(o, slot.scenario),
      workRoot: o.workRoot ?? os.tmpdir(),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const ms = now() - t0;
    if (outcome.kind === 'skipped') {
      // Not run again in this run; after iterations that ran, the reason is still reported.
      slot.nextIndex--;
      account.retireSkipped(slot, outcome.reason);
      continue;
    }
    // An iteration cut short by the end of the budget proves nothing unless it failed.
    if (!(budgetRanOut && toResult(outcome).ok)) {
      account.record(slot, { index, seed, ms }, outcome, now() - start);
      progress(undefined);
    }
    if (budgetRanOut) {
      stoppedBy = o.signal?.aborted ? 'aborted' : 'duration';
      break;
    }
  }
  return account.result(o, { startedAt, durationMs: now() - start, stoppedBy });
}
