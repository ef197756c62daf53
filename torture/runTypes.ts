/**
 * The torture runner's options, progress and result types (shared by the
 * sequential runner, the parallel one, the text summary and the report).
 */
import type { Scenario } from './Scenario.ts';

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
  /**
   * Iterations run at the same time (default 1: one after another, in this thread). With more, the
   * simulated scenarios run in `jobs` worker threads (torture/pool/), which load them by name from
   * `workerScenarios`; real-process scenarios, and any scenario the workers do not have, run in this
   * thread, one iteration at a time, alongside them. Seeds, counts and failures are the same as with 1.
   */
  readonly jobs?: number;
  /**
   * URL of the module the workers load their scenarios from: it exports `loadScenarios()` returning
   * `LoadedScenarios` (torture/registry.ts, the default, does).
   */
  readonly workerScenarios?: string;
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
