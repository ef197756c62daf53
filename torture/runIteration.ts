/**
 * Runs one iteration of a scenario in this thread: with its own abort
 * signal (fired by the run's signal or the end of the time budget), a hang
 * timeout, and — for real scenarios — a work directory of its own, removed
 * afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Outcome } from './runAccounting.ts';
import type { RunnerOptions } from './runTypes.ts';
import type { Scenario } from './Scenario.ts';
import { skipReasonOfError } from './skipped.ts';

const SIMULATED_TIMEOUT_MS = 60_000;
const REAL_TIMEOUT_MS = 300_000;

/** The hang timeout of one iteration of `scenario`: 60 s simulated, 300 s real, unless the run sets one. */
export function iterationTimeoutMs(o: Pick<RunnerOptions, 'iterationTimeoutMs'>, scenario: Scenario): number {
  return o.iterationTimeoutMs ?? (scenario.kind === 'real' ? REAL_TIMEOUT_MS : SIMULATED_TIMEOUT_MS);
}

export interface IterationRun {
  readonly seed: number;
  readonly index: number;
  /** Time left in the run's budget (undefined: none): the iteration is told to stop when it runs out. */
  readonly budgetLeftMs: number | undefined;
  readonly timeoutMs: number;
  readonly workRoot: string;
  readonly signal?: AbortSignal;
}

export async function runIteration(
  scenario: Scenario,
  o: IterationRun,
): Promise<{ outcome: Outcome; budgetRanOut: boolean }> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let budgetRanOut = false;
  const budgetTimer =
    o.budgetLeftMs === undefined
      ? undefined
      : setTimeout(
          () => {
            budgetRanOut = true;
            controller.abort();
          },
          Math.max(0, o.budgetLeftMs),
        );
  let timeoutTimer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timeoutTimer = setTimeout(() => {
      controller.abort();
      resolve({ kind: 'timeout' });
    }, o.timeoutMs);
  });
  const workDir =
    scenario.kind === 'real'
      ? mkdtempSync(path.join(o.workRoot, `otel-audit-torture-${scenario.name}-`))
      : '';
  try {
    const run = Promise.resolve()
      .then(() => scenario.run({ seed: o.seed, iteration: o.index, workDir, signal: controller.signal }))
      .then(
        (result): Outcome => ({ kind: 'result', result }),
        (error: unknown): Outcome => {
          const reason = skipReasonOfError(error);
          return reason === undefined ? { kind: 'threw', error } : { kind: 'skipped', reason };
        },
      );
    const outcome = await Promise.race([run, timeout]);
    return { outcome, budgetRanOut: budgetRanOut || (o.signal?.aborted ?? false) };
  } finally {
    clearTimeout(timeoutTimer);
    if (budgetTimer) clearTimeout(budgetTimer);
    o.signal?.removeEventListener('abort', onAbort);
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  }
}
