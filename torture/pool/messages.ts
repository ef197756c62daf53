/**
 * The messages between the parallel runner and its iteration workers
 * (structured-clone data only: an error crosses as its message and stack).
 */
import type { IterationResult } from '../Scenario.ts';

export interface WorkerData {
  /** URL of the module exporting `loadScenarios()` (torture/registry.ts by default). */
  readonly scenarioModule: string;
}

export type ToWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly scenario: string;
      readonly seed: number;
      readonly index: number;
    }
  /** Stop iteration `id` early (the budget ran out, or the run was interrupted). */
  | { readonly type: 'abort'; readonly id: number };

export type WireOutcome =
  | { readonly kind: 'result'; readonly result: IterationResult }
  | { readonly kind: 'threw'; readonly message: string; readonly stack: string | undefined }
  | { readonly kind: 'skipped'; readonly reason: string };

export type FromWorker =
  /** Loaded: the simulated scenarios this worker can run, by name. */
  | { readonly type: 'ready'; readonly scenarios: readonly string[] }
  | { readonly type: 'loadFailed'; readonly error: string }
  | { readonly type: 'done'; readonly id: number; readonly outcome: WireOutcome };
