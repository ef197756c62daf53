/**
 * Fake simulated scenarios for the parallel runner's tests
 * (torture/parallelRunner.test.ts), loaded by its worker threads by URL:
 * results are pure functions of the seed, so a parallel run must count
 * exactly what a sequential one counts; and the misbehaviours a worker must
 * survive — a hang, a worker that dies, a scenario that cannot run here.
 */
import type { LoadedScenarios } from '../registry.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { ScenarioSkippedError } from '../skipped.ts';

function fake(name: string, run: (ctx: IterationContext) => Promise<IterationResult>): Scenario {
  return { name, kind: 'simulated', description: `${name} (fixture)`, run };
}

/** Fails when seed % 7 == 0, injects no fault when seed % 5 == 0, else passes; takes 0-3 ms. */
export const seeded = fake('Seeded', async (ctx) => {
  await new Promise((resolve) => setTimeout(resolve, ctx.seed % 4));
  if (ctx.seed % 7 === 0)
    return { ok: false, acknowledged: 1, faults: 1, violations: [`seed ${ctx.seed} lost record 3`] };
  return { ok: true, acknowledged: ctx.seed % 10, faults: ctx.seed % 5 === 0 ? 0 : 1, violations: [] };
});

/** Iteration 1 never finishes (and blocks nothing else). */
export const hangs = fake('HangsAtOne', (ctx) =>
  ctx.iteration === 1
    ? new Promise<IterationResult>(() => undefined)
    : Promise.resolve({ ok: true, acknowledged: 0, faults: 1, violations: [] }),
);

/** Iteration 2 ends its worker thread (process.exit in a worker ends only that thread). */
export const killsWorker = fake('KillsWorker', (ctx) => {
  if (ctx.iteration === 2) process.exit(7);
  return Promise.resolve({ ok: true, acknowledged: 0, faults: 1, violations: [] });
});

/** Cannot run from iteration 3 on. */
export const losesRoot = fake('LosesRoot', (ctx) =>
  ctx.iteration >= 3
    ? Promise.reject(new ScenarioSkippedError('the tmpfs could no longer be mounted'))
    : Promise.resolve({ ok: true, acknowledged: 0, faults: 1, violations: [] }),
);

/** Runs until told to stop, then passes (or fails when the seed is odd: a failure found while stopping). */
export const untilAborted = fake(
  'UntilAborted',
  (ctx) =>
    new Promise((resolve) =>
      ctx.signal.addEventListener('abort', () =>
        resolve(
          ctx.seed % 2 === 1
            ? { ok: false, acknowledged: 0, faults: 1, violations: ['found while stopping'] }
            : { ok: true, acknowledged: 0, faults: 1, violations: [] },
        ),
      ),
    ),
);

export function loadScenarios(): Promise<LoadedScenarios> {
  return Promise.resolve({
    scenarios: [seeded, hangs, killsWorker, losesRoot, untilAborted],
    loadErrors: [],
  });
}
