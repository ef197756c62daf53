/**
 * The torture suite's scenario contract. A scenario runs ONE iteration from
 * a seed (everything random is drawn from it, so a failure reproduces with
 * `otel-audit torture --scenarios NAME --seed S --iterations 1`) and returns
 * what the oracle found. Every scenario applies the same oracle
 * (oracle.ts): every acknowledged record present, byte-exact, in order,
 * exactly once per acknowledgement; the chain and checkpoints verify; an
 * unacknowledged record is whole or absent; the WAL always reopens.
 */

export type ScenarioKind =
  /** runs against the simulated disk in process (fast: tens of iterations per second per core) */
  | 'simulated'
  /** runs real processes / real file systems (slow: seconds per iteration) */
  | 'real';

export interface IterationContext {
  readonly seed: number;
  readonly iteration: number;
  /** A directory of its own for real-disk scenarios (removed afterwards by the runner). */
  readonly workDir: string;
  /** Stop early (the runner's time budget ran out). */
  readonly signal: AbortSignal;
}

export interface IterationResult {
  readonly ok: boolean;
  /** Records the writer had acknowledged when the fault hit (for the report). */
  readonly acknowledged: number;
  /** Faults injected (crashes, flips, ENOSPC, ...) in this iteration. */
  readonly faults: number;
  /** Oracle violations, each a sentence naming the sequence numbers concerned. */
  readonly violations: readonly string[];
  /** Extra measurements for the report (e.g. peak queued bytes for SlowDisk). */
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface Scenario {
  /** PascalCase, as in the issue: Kill9DuringWrite, PowerLoss, RandomCorruption, ... */
  readonly name: string;
  readonly kind: ScenarioKind;
  readonly description: string;
  run(ctx: IterationContext): Promise<IterationResult>;
}
