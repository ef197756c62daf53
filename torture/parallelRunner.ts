/**
 * The runner with `jobs` > 1: the simulated scenarios run in `jobs` worker
 * threads (torture/pool/), each running one iteration at a time; the
 * real-process scenarios (and any scenario the workers do not have) run in
 * this thread, one iteration at a time, alongside them — they spawn and
 * kill processes and keep spare children, which a worker thread should not.
 *
 * Nothing else changes: iteration i of a scenario runs iterationSeed(master,
 * i); a free worker takes the scenario that has had the least time so far
 * (counting its iterations in flight); every finished iteration is counted
 * by the same RunAccount as in the sequential runner; at the end of the
 * budget the iterations in flight are told to stop and count only if they
 * failed. A worker whose iteration hangs past the timeout is terminated
 * (that iteration fails as a hang, its scenario is not run again) and
 * replaced; one that dies fails its iteration and is replaced.
 */
import os from 'node:os';
import { iterationSeed } from './prng.ts';
import { newSlots, nextSlot, RunAccount, toResult, type Outcome, type Slot } from './runAccounting.ts';
import { iterationTimeoutMs, runIteration } from './runIteration.ts';
import type { RunnerOptions, RunResult } from './runTypes.ts';
import { REGISTRY_URL, WorkerLane } from './pool/WorkerLane.ts';

interface Job {
  readonly slot: Slot;
  readonly index: number;
  readonly seed: number;
  /** The budget ended (or the run was interrupted) while it ran: it counts only if it failed. */
  cut: boolean;
  readonly lane: WorkerLane | undefined;
}

export async function runParallel(o: RunnerOptions, jobs: number): Promise<RunResult> {
  const now = o.now ?? (() => performance.now());
  const slots = newSlots(o.scenarios);
  const account = new RunAccount(slots);
  const scenarioModule = o.workerScenarios ?? REGISTRY_URL;
  const needWorkers = slots.some((s) => !s.retired && s.scenario.kind === 'simulated');
  let lanes: WorkerLane[] = needWorkers
    ? await Promise.all(Array.from({ length: jobs }, () => WorkerLane.start(scenarioModule)))
    : [];
  const inWorkers = lanes[0]?.scenarios ?? new Set<string>();
  // The budget starts once the workers have loaded their scenarios (as the sequential one starts after loading).
  const start = now();
  const startedAt = new Date().toISOString();
  const remote = (s: Slot): boolean => s.scenario.kind === 'simulated' && inWorkers.has(s.scenario.name);
  const replacing = new Set<Promise<void>>();

  const inFlight = new Set<Job>();
  let wake: () => void = () => undefined;
  let stoppedBy: RunResult['stoppedBy'] = 'iterations';
  let stopping = false;
  let startError: unknown;
  const localAbort = new AbortController();
  const stop = (why: 'duration' | 'aborted'): void => {
    if (stopping) return;
    stopping = true;
    stoppedBy = why;
    for (const job of inFlight) {
      job.cut = true;
      job.lane?.abort();
    }
    localAbort.abort();
    wake();
  };
  const budgetTimer =
    o.durationMs === undefined ? undefined : setTimeout(() => stop('duration'), Math.max(0, o.durationMs));
  const onAbort = (): void => stop('aborted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stop('aborted');

  const progress = (): void =>
    o.onProgress?.(
      account.progress(
        o,
        now() - start,
        [...new Set([...inFlight].map((j) => j.slot.stats.name))].join(',') || undefined,
      ),
    );

  const finish = (job: Job, outcome: Outcome, ms: number): void => {
    inFlight.delete(job);
    job.slot.inFlight--;
    if (outcome.kind === 'skipped') {
      account.retireSkipped(job.slot, outcome.reason);
    } else if (!(job.cut && toResult(outcome).ok)) {
      // An iteration cut short by the end of the budget proves nothing unless it failed.
      account.record(job.slot, { index: job.index, seed: job.seed, ms }, outcome, now() - start);
      progress();
    }
    wake();
  };

  const launch = (slot: Slot, lane: WorkerLane | undefined): void => {
    const index = slot.nextIndex++;
    const seed = iterationSeed(o.seed, index);
    const job: Job = { slot, index, seed, cut: false, lane };
    inFlight.add(job);
    slot.inFlight++;
    const t0 = now();
    const timeoutMs = iterationTimeoutMs(o, slot.scenario);
    if (lane === undefined) {
      void runIteration(slot.scenario, {
        seed,
        index,
        budgetLeftMs: undefined,
        timeoutMs,
        workRoot: o.workRoot ?? os.tmpdir(),
        signal: localAbort.signal,
      }).then(({ outcome }) => finish(job, outcome, now() - t0));
      return;
    }
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      void lane.terminate(`${slot.stats.name} iteration ${index} hung`);
    }, timeoutMs);
    void lane.run({ scenario: slot.scenario.name, seed, index }).then((outcome) => {
      clearTimeout(timer);
      finish(job, hung ? { kind: 'timeout' } : outcome, now() - t0);
      if (!lane.alive) replace(lane);
    });
  };

  /** A worker that died (or was terminated after a hang) is replaced by a new one. */
  const replace = (dead: WorkerLane): void => {
    lanes = lanes.filter((l) => l !== dead);
    const p = WorkerLane.start(scenarioModule).then(
      (lane) => {
        if (stopping) void lane.terminate();
        else lanes.push(lane);
      },
      (err: unknown) => {
        startError ??= err;
      },
    );
    const tracked = p.finally(() => {
      replacing.delete(tracked);
      wake();
    });
    replacing.add(tracked);
  };

  try {
    for (;;) {
      if (!stopping && o.durationMs !== undefined && now() - start >= o.durationMs) stop('duration');
      if (!stopping) {
        for (const lane of [...lanes]) {
          if (!lane.alive && !lane.busy) replace(lane); // died between iterations
          if (lane.busy || !lane.alive) continue;
          const slot = nextSlot(slots, o.iterations, remote);
          if (slot === undefined) break;
          launch(slot, lane);
        }
        if (![...inFlight].some((j) => j.lane === undefined)) {
          const slot = nextSlot(slots, o.iterations, (s) => !remote(s));
          if (slot !== undefined) launch(slot, undefined);
        }
      }
      if (inFlight.size === 0 && replacing.size === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (budgetTimer) clearTimeout(budgetTimer);
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(replacing);
    await Promise.all(lanes.map((l) => l.terminate()));
  }
  if (!stopping && nextSlot(slots, o.iterations, remote) !== undefined) {
    // No worker left to run the rest: never report a run as complete that was not.
    throw new Error(`the torture workers could not be restarted: ${String(startError)}`);
  }
  return account.result(o, { startedAt, durationMs: now() - start, stoppedBy });
}
