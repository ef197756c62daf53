/**
 * What the runners (sequential, runner.ts; parallel, parallelRunner.ts) do
 * with a finished iteration: the per-scenario counts, the failure records
 * with their reproduce commands, the known-defect attribution, the timeline,
 * and the final `RunResult`. One place, so that running iterations in
 * parallel cannot count them differently.
 *
 * No fake passes: an iteration that injected no fault (`faults: 0`) is
 * `noFault`, never passed; one that threw or hung fails; a scenario that
 * says at run time it cannot run is retired and reported with its reason.
 */
import type { IterationResult, Scenario } from './Scenario.ts';
import { knownDefectsOf } from './knownDefects.ts';
import type {
  FailureRecord,
  RunnerOptions,
  RunProgress,
  RunResult,
  ScenarioStats,
  TimelinePoint,
} from './runTypes.ts';
import { skipReasonOf } from './skipped.ts';

export const FAILURE_VIOLATIONS_MAX = 20;
/** Failures kept in full (the rest are counted per scenario). */
export const FAILURES_KEPT_MAX = 200;
const TIMELINE_POINTS_MAX = 240;

export function reproduceCommand(scenario: string, seed: number): string {
  return `npm run otel-audit -- torture --scenarios ${scenario} --seed ${seed} --iterations 1`;
}

export interface Slot {
  readonly scenario: Scenario;
  readonly stats: ScenarioStats;
  /** No more iterations: skipped at run time, or hung. */
  retired: boolean;
  /** The index (and so the seed) of the next iteration handed out. */
  nextIndex: number;
  /** Iterations handed out and not finished yet. */
  inFlight: number;
}

/** How one iteration ended, as the runners see it. */
export type Outcome =
  | { readonly kind: 'result'; readonly result: IterationResult }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timeout' }
  /** The scenario said it cannot run here (ScenarioSkippedError): not an iteration. */
  | { readonly kind: 'skipped'; readonly reason: string };

export function newSlots(scenarios: readonly Scenario[]): Slot[] {
  return scenarios.map((scenario) => {
    const skipReason = skipReasonOf(scenario);
    return {
      scenario,
      retired: skipReason !== undefined,
      nextIndex: 0,
      inFlight: 0,
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
}

/**
 * The runnable slot (among those `eligible`) that has had the least time so far — counting an
 * iteration in flight as one of its average length — then the fewest iterations, below the cap.
 */
export function nextSlot(
  slots: readonly Slot[],
  cap: number | undefined,
  eligible: (s: Slot) => boolean = () => true,
): Slot | undefined {
  let best: Slot | undefined;
  let bestMs = Infinity;
  for (const s of slots) {
    if (s.retired || (cap !== undefined && s.nextIndex >= cap) || !eligible(s)) continue;
    const st = s.stats;
    const ms =
      st.durationMs + (st.iterations > 0 ? (s.inFlight * st.durationMs) / st.iterations : s.inFlight);
    if (best === undefined || ms < bestMs || (ms === bestMs && s.nextIndex < best.nextIndex)) {
      best = s;
      bestMs = ms;
    }
  }
  return best;
}

export class RunAccount {
  readonly slots: readonly Slot[];
  readonly failures: FailureRecord[] = [];
  readonly knownDefectCounts: Record<string, number> = {};
  iterations = 0;
  failed = 0;
  private readonly timeline: Timeline;

  constructor(slots: readonly Slot[]) {
    this.slots = slots;
    this.timeline = new Timeline(slots.map((s) => s.stats.name));
  }

  /** A scenario that cannot run (any more): not run again; its reason is reported. */
  retireSkipped(slot: Slot, reason: string): void {
    slot.retired = true;
    slot.stats.skipReason = reason;
    if (slot.stats.iterations === 0) slot.stats.status = 'skipped';
  }

  /** Counts one finished iteration `index` (seed `seed`) of `slot` that took `ms`; `tMs`: run time now. */
  record(
    slot: Slot,
    iteration: { readonly index: number; readonly seed: number; readonly ms: number },
    outcome: Exclude<Outcome, { kind: 'skipped' }>,
    tMs: number,
  ): void {
    const result = toResult(outcome);
    const st = slot.stats;
    st.iterations++;
    st.durationMs += iteration.ms;
    st.ratePerSecond = st.durationMs > 0 ? (st.iterations * 1000) / st.durationMs : 0;
    st.acknowledged += result.acknowledged;
    st.faults += result.faults;
    for (const [k, v] of Object.entries(result.metrics ?? {})) {
      st.metricsMax[k] = Math.max(st.metricsMax[k] ?? -Infinity, v);
      st.metricsSum[k] = (st.metricsSum[k] ?? 0) + v;
    }
    this.iterations++;
    if (result.ok && result.faults === 0) {
      st.noFault++;
    } else if (result.ok) {
      st.passed++;
      if (st.status === 'not run') st.status = 'passed';
    } else {
      st.failed++;
      st.status = 'failed';
      this.failed++;
      const known = knownDefectsOf(st.name, result);
      if (known.length > 0) st.knownDefectFailures++;
      for (const id of known) this.knownDefectCounts[id] = (this.knownDefectCounts[id] ?? 0) + 1;
      if (this.failures.length < FAILURES_KEPT_MAX) {
        this.failures.push({
          scenario: st.name,
          iteration: iteration.index,
          seed: iteration.seed,
          durationMs: iteration.ms,
          acknowledged: result.acknowledged,
          faults: result.faults,
          violations: result.violations.slice(0, FAILURE_VIOLATIONS_MAX),
          violationCount: result.violations.length,
          knownDefects: known,
          reproduce: reproduceCommand(st.name, iteration.seed),
        });
      }
    }
    if (outcome.kind === 'timeout') slot.retired = true;
    this.timeline.sample(tMs, this.slots, this.failed);
  }

  /** The progress report of the run so far (`current`: the scenarios running now). */
  progress(
    run: Pick<RunnerOptions, 'iterations' | 'durationMs'>,
    elapsedMs: number,
    current: string | undefined,
  ): RunProgress {
    const runnable = this.slots.filter((s) => s.stats.status !== 'skipped').length;
    return {
      elapsedMs,
      durationMs: run.durationMs,
      iterations: this.iterations,
      iterationsPlanned: run.iterations === undefined ? undefined : run.iterations * runnable,
      failed: this.failed,
      current,
      scenarios: this.slots.map((s) => s.stats),
    };
  }

  /** The run's result, `durationMs` after it started at `startedAt`. */
  result(
    run: Pick<RunnerOptions, 'seed' | 'iterations' | 'durationMs'>,
    o: {
      readonly startedAt: string;
      readonly durationMs: number;
      readonly stoppedBy: RunResult['stoppedBy'];
    },
  ): RunResult {
    this.timeline.sample(o.durationMs, this.slots, this.failed, true);
    const stats = this.slots.map((s) => s.stats);
    const order = new Map(stats.map((s, i) => [s.name, i]));
    // In scenario order, then by iteration: the same list whatever order iterations finished in.
    const failures = [...this.failures].sort(
      (a, b) => (order.get(a.scenario) ?? 0) - (order.get(b.scenario) ?? 0) || a.iteration - b.iteration,
    );
    return {
      seed: run.seed,
      startedAt: o.startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: o.durationMs,
      iterationsPerScenario: run.iterations,
      budgetMs: run.durationMs,
      stoppedBy: o.stoppedBy,
      scenarios: stats,
      failures,
      timeline: this.timeline.points,
      totals: {
        iterations: this.iterations,
        passed: stats.reduce((n, s) => n + s.passed, 0),
        failed: this.failed,
        noFault: stats.reduce((n, s) => n + s.noFault, 0),
        knownDefectFailures: stats.reduce((n, s) => n + s.knownDefectFailures, 0),
        skippedScenarios: stats.filter((s) => s.status === 'skipped').length,
      },
      knownDefectCounts: this.knownDefectCounts,
    };
  }
}

export function toResult(outcome: Exclude<Outcome, { kind: 'skipped' }>): IterationResult {
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
