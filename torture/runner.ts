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
 * No fake passes: a scenario that is registered as skipped, or that says at
 * run time it cannot run here, is reported SKIPPED; an iteration that found
 * nothing wrong but injected no fault (`faults: 0`) proved nothing: it is
 * counted as `noFault`, never as passed; an iteration cut short by
 * the end of the budget counts only if it failed; an iteration that throws
 * fails; an iteration that does not finish within `iterationTimeoutMs` fails
 * (and its scenario is not run again: it may still be running).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IterationResult, Scenario } from './Scenario.ts';
import { knownDefectsOf } from './knownDefects.ts';
import { iterationSeed } from './prng.ts';
import { skipReasonOf, skipReasonOfError } from './skipped.ts';

export interface RunnerOptions {
  readonly scenarios: readonly Scenario[];
  /** Master seed (uint32). */
  readonly seed: number;
  /** Iterations per scenario (at most). */
  readonly iterations?: number;
  /** Time budget for the whole run. */
  readonly durationMs?: number;
  /** A single iteration taking longer fails as a hang. Default: 60 s simulated, 300 s real. */
  readonly iterationTimeoutMs?: number;
  /** Parent of the real scenarios' work directories. Default: the OS temp directory. */
  readonly workRoot?: string;
  /** Called after every iteration (the caller throttles what it prints). */
  readonly onProgress?: (p: RunProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

export type ScenarioStatus = 'passed' | 'failed' | 'skipped' | 'not run';

export interface ScenarioStats {
  readonly name: string;
  readonly kind: Scenario['kind'];
  readonly description: string;
  status: ScenarioStatus;
  /** Why it was skipped, or why it stopped early when it could no longer run after some iterations. */
  skipReason: string | undefined;
  iterations: number;
  passed: number;
  failed: number;
  /** Iterations without a violation that injected no fault: not passes (they tested nothing). */
  noFault: number;
  /** Failures entirely explained by known defects (included in `failed`). */
  knownDefectFailures: number;
  /** Time spent in this scenario's iterations. */
  durationMs: number;
  /** Iterations per second of this scenario's own time. */
  ratePerSecond: number;
  acknowledged: number;
  faults: number;
  metricsMax: Record<string, number>;
  metricsSum: Record<string, number>;
}

export interface FailureRecord {
  readonly scenario: string;
  readonly iteration: number;
  readonly seed: number;
  readonly durationMs: number;
  readonly acknowledged: number;
  readonly faults: number;
  /** The first violations (at most FAILURE_VIOLATIONS_MAX). */
  readonly violations: readonly string[];
  readonly violationCount: number;
  /** Known defects (knownDefects.ts) that explain every violation; empty for a new failure. */
  readonly knownDefects: readonly string[];
  /** The command that reruns exactly this iteration. */
  readonly reproduce: string;
}

export interface TimelinePoint {
  /** Milliseconds since the run started. */
  readonly tMs: number;
  /** Cumulative iterations per scenario. */
  readonly iterations: Readonly<Record<string, number>>;
  readonly failed: number;
}

export interface RunProgress {
  readonly elapsedMs: number;
  readonly durationMs: number | undefined;
  readonly iterations: number;
  /** Iterations the run will do at most (undefined with a pure time budget). */
  readonly iterationsPlanned: number | undefined;
  readonly failed: number;
  readonly current: string | undefined;
  readonly scenarios: readonly ScenarioStats[];
}

export interface RunResult {
  readonly seed: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly iterationsPerScenario: number | undefined;
  readonly budgetMs: number | undefined;
  readonly stoppedBy: 'iterations' | 'duration' | 'aborted';
  readonly scenarios: readonly ScenarioStats[];
  readonly failures: readonly FailureRecord[];
  readonly timeline: readonly TimelinePoint[];
  readonly totals: {
    readonly iterations: number;
    readonly passed: number;
    readonly failed: number;
    /** Iterations without a violation that injected no fault (not counted as passed). */
    readonly noFault: number;
    readonly knownDefectFailures: number;
    readonly skippedScenarios: number;
  };
  /** Failures attributed to each known defect (knownDefects.ts), by id. */
  readonly knownDefectCounts: Readonly<Record<string, number>>;
}

export const FAILURE_VIOLATIONS_MAX = 20;
/** Failures kept in full (the rest are counted per scenario). */
export const FAILURES_KEPT_MAX = 200;
const TIMELINE_POINTS_MAX = 240;
const SIMULATED_TIMEOUT_MS = 60_000;
const REAL_TIMEOUT_MS = 300_000;

export function reproduceCommand(scenario: string, seed: number): string {
  return `npm run otel-audit -- torture --scenarios ${scenario} --seed ${seed} --iterations 1`;
}

interface Slot {
  readonly scenario: Scenario;
  readonly stats: ScenarioStats;
  /** No more iterations: skipped at run time, or hung. */
  retired: boolean;
}

type Outcome =
  | { readonly kind: 'result'; readonly result: IterationResult }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timeout' };

export async function runTorture(o: RunnerOptions): Promise<RunResult> {
  if (o.iterations === undefined && o.durationMs === undefined) {
    throw new RangeError('runTorture needs iterations, durationMs or both');
  }
  const now = o.now ?? (() => performance.now());
  const start = now();
  const startedAt = new Date().toISOString();
  const slots: Slot[] = o.scenarios.map((scenario) => {
    const skipReason = skipReasonOf(scenario);
    return {
      scenario,
      retired: skipReason !== undefined,
      stats: {
        name: scenario.name,
        kind: scenario.kind,
        description: scenario.description,
        status: skipReason === undefined ? 'not run' : 'skipped',
        skipReason,
        iterations: 0,
        passed: 0,
        failed: 0,
        noFault: 0,
        knownDefectFailures: 0,
        durationMs: 0,
        ratePerSecond: 0,
        acknowledged: 0,
        faults: 0,
        metricsMax: {},
        metricsSum: {},
      },
    };
  });
  const failures: FailureRecord[] = [];
  const timeline = new Timeline(slots.map((s) => s.stats.name));
  const runnable = slots.filter((s) => !s.retired).length;
  const iterationsPlanned = o.iterations === undefined ? undefined : o.iterations * runnable;
  let stoppedBy: RunResult['stoppedBy'] = 'iterations';
  let iterations = 0;
  let failed = 0;
  const knownDefectCounts: Record<string, number> = {};
  const progress = (current: string | undefined): void =>
    o.onProgress?.({
      elapsedMs: now() - start,
      durationMs: o.durationMs,
      iterations,
      iterationsPlanned,
      failed,
      current,
      scenarios: slots.map((s) => s.stats),
    });

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
    const st = slot.stats;
    const index = st.iterations;
    const seed = iterationSeed(o.seed, index);
    progress(st.name);
    const budgetLeft = o.durationMs === undefined ? undefined : o.durationMs - elapsed;
    const t0 = now();
    const { outcome, budgetRanOut } = await runIteration(slot.scenario, {
      seed,
      index,
      budgetLeftMs: budgetLeft,
      timeoutMs:
        o.iterationTimeoutMs ?? (slot.scenario.kind === 'real' ? REAL_TIMEOUT_MS : SIMULATED_TIMEOUT_MS),
      workRoot: o.workRoot ?? os.tmpdir(),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const ms = now() - t0;
    if (outcome.kind === 'threw') {
      const reason = skipReasonOfError(outcome.error);
      if (reason !== undefined) {
        // Not run again in this run; after iterations that ran, the reason is still reported.
        slot.retired = true;
        st.skipReason = reason;
        if (st.iterations === 0) st.status = 'skipped';
        continue;
      }
    }
    const result = toResult(outcome);
    // An iteration cut short by the end of the budget proves nothing unless it failed.
    if (budgetRanOut && result.ok) {
      stoppedBy = o.signal?.aborted ? 'aborted' : 'duration';
      break;
    }
    st.iterations++;
    st.durationMs += ms;
    st.ratePerSecond = st.durationMs > 0 ? (st.iterations * 1000) / st.durationMs : 0;
    st.acknowledged += result.acknowledged;
    st.faults += result.faults;
    for (const [k, v] of Object.entries(result.metrics ?? {})) {
      st.metricsMax[k] = Math.max(st.metricsMax[k] ?? -Infinity, v);
      st.metricsSum[k] = (st.metricsSum[k] ?? 0) + v;
    }
    iterations++;
    if (result.ok && result.faults === 0) {
      st.noFault++;
    } else if (result.ok) {
      st.passed++;
      if (st.status === 'not run') st.status = 'passed';
    } else {
      st.failed++;
      st.status = 'failed';
      failed++;
      const known = knownDefectsOf(st.name, result);
      if (known.length > 0) st.knownDefectFailures++;
      for (const id of known) knownDefectCounts[id] = (knownDefectCounts[id] ?? 0) + 1;
      if (failures.length < FAILURES_KEPT_MAX) {
        failures.push({
          scenario: st.name,
          iteration: index,
          seed,
          durationMs: ms,
          acknowledged: result.acknowledged,
          faults: result.faults,
          violations: result.violations.slice(0, FAILURE_VIOLATIONS_MAX),
          violationCount: result.violations.length,
          knownDefects: known,
          reproduce: reproduceCommand(st.name, seed),
        });
      }
    }
    if (outcome.kind === 'timeout') slot.retired = true;
    timeline.sample(now() - start, slots, failed);
    progress(undefined);
    if (budgetRanOut) {
      stoppedBy = o.signal?.aborted ? 'aborted' : 'duration';
      break;
    }
  }
  const end = now();
  timeline.sample(end - start, slots, failed, true);
  const stats = slots.map((s) => s.stats);
  return {
    seed: o.seed,
    startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: end - start,
    iterationsPerScenario: o.iterations,
    budgetMs: o.durationMs,
    stoppedBy,
    scenarios: stats,
    failures,
    timeline: timeline.points,
    totals: {
      iterations,
      passed: stats.reduce((n, s) => n + s.passed, 0),
      failed,
      noFault: stats.reduce((n, s) => n + s.noFault, 0),
      knownDefectFailures: stats.reduce((n, s) => n + s.knownDefectFailures, 0),
      skippedScenarios: stats.filter((s) => s.status === 'skipped').length,
    },
    knownDefectCounts,
  };
}

/** The runnable scenario that has had the least time (then the fewest iterations), below the iteration cap. */
function nextSlot(slots: readonly Slot[], cap: number | undefined): Slot | undefined {
  let best: Slot | undefined;
  for (const s of slots) {
    if (s.retired || (cap !== undefined && s.stats.iterations >= cap)) continue;
    if (
      best === undefined ||
      s.stats.durationMs < best.stats.durationMs ||
      (s.stats.durationMs === best.stats.durationMs && s.stats.iterations < best.stats.iterations)
    ) {
      best = s;
    }
  }
  return best;
}

async function runIteration(
  scenario: Scenario,
  o: {
    readonly seed: number;
    readonly index: number;
    readonly budgetLeftMs: number | undefined;
    readonly timeoutMs: number;
    readonly workRoot: string;
    readonly signal?: AbortSignal;
  },
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
        (error: unknown): Outcome => ({ kind: 'threw', error }),
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

function toResult(outcome: Outcome): IterationResult {
  if (outcome.kind === 'result') {
    const r = outcome.result;
    // A result that says ok but lists violations is a failure: the violations win.
    return r.violations.length > 0 && r.ok ? { ...r, ok: false } : r;
  }
  if (outcome.kind === 'timeout') {
    return {
      ok: false,
      acknowledged: 0,
      faults: 0,
      violations: [
        'the iteration did not finish in time: a hang (an append or a reopen that never completes?)',
      ],
    };
  }
  const e = outcome.error;
  const stack =
    e instanceof Error && e.stack
      ? ` (${e.stack
          .split('\n')
          .slice(1, 4)
          .map((l) => l.trim())
          .join(' < ')})`
      : '';
  return {
    ok: false,
    acknowledged: 0,
    faults: 0,
    violations: [`the scenario threw: ${e instanceof Error ? e.message : String(e)}${stack}`],
  };
}

/** Cumulative iterations per scenario over time, at most TIMELINE_POINTS_MAX points (thinned by halves). */
class Timeline {
  readonly points: TimelinePoint[] = [];
  private stepMs = 100;
  private lastMs = -Infinity;

  constructor(names: readonly string[]) {
    this.points.push({ tMs: 0, iterations: Object.fromEntries(names.map((n) => [n, 0])), failed: 0 });
  }

  sample(tMs: number, slots: readonly Slot[], failed: number, force = false): void {
    if (!force && tMs - this.lastMs < this.stepMs) return;
    this.lastMs = tMs;
    this.points.push({
      tMs,
      iterations: Object.fromEntries(slots.map((s) => [s.stats.name, s.stats.iterations])),
      failed,
    });
    if (this.points.length > TIMELINE_POINTS_MAX) {
      const kept = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
      this.points.length = 0;
      this.points.push(...kept);
      this.stepMs *= 2;
    }
  }
}
