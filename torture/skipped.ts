/**
 * Scenarios that cannot run — yet, or here. A skip is never a pass:
 * - a scenario whose subject does not exist yet is registered with a static
 *   `skipReason` (so `--list` and the report show the gap); the runner never
 *   runs it and lists it as SKIPPED;
 * - a scenario that finds at run time that it cannot run here (no root for a
 *   tmpfs mount, ...) throws an error with `skipped: true` whose message
 *   starts with `skipped:`; the runner lists it as SKIPPED with that reason
 *   and does not run it again in the same run.
 * (Scenario.ts, the fixed contract, has no field for either.)
 */
import type { IterationResult, Scenario } from './Scenario.ts';

export interface SkippedScenario extends Scenario {
  /** Why the scenario cannot run yet. */
  readonly skipReason: string;
}

/** Thrown by a scenario that cannot run; the message starts with `skipped:`. */
export class ScenarioSkippedError extends Error {
  readonly skipped = true;
  readonly reason: string;

  constructor(reason: string) {
    super(`skipped: ${reason}`);
    this.name = 'ScenarioSkippedError';
    this.reason = reason;
  }
}

/** The reason, when `err` says its scenario cannot run here (any scenario's skip error). */
export function skipReasonOfError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const flagged = (err as { skipped?: unknown }).skipped === true;
  if (!flagged && !err.message.startsWith('skipped:')) return undefined;
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : err.message.replace(/^skipped:\s*/, '');
}

export function notImplementedScenario(o: {
  readonly name: string;
  readonly description: string;
  readonly skipReason: string;
}): SkippedScenario {
  return {
    name: o.name,
    kind: 'simulated',
    description: o.description,
    skipReason: o.skipReason,
    run(): Promise<IterationResult> {
      return Promise.reject(new ScenarioSkippedError(o.skipReason));
    },
  };
}

/** The static skip reason of a scenario that cannot run yet, or undefined. */
export function skipReasonOf(s: Scenario): string | undefined {
  const reason = (s as Partial<SkippedScenario>).skipReason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}
