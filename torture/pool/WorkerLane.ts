/**
 * One worker thread of the parallel runner, seen from the parent: started
 * with the scenario module, ready once it has loaded its scenarios, then
 * running one iteration at a time. An iteration whose worker dies (an
 * uncaught error, an exit, a `terminate` after a hang) ends as `threw`;
 * a dead lane runs nothing more (the runner starts a new one).
 */
import type { Worker } from 'node:worker_threads';
import { startStrippedWorker } from '../../src/threads/strippedWorker.ts';
import type { Outcome } from '../runAccounting.ts';
import type { FromWorker, ToWorker, WorkerData } from './messages.ts';

const SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(SOURCE ? './iterationWorker.ts' : './iterationWorker.js', import.meta.url);

/** The default scenario module of the workers: the registry (every built-in and discovered scenario). */
export const REGISTRY_URL = new URL(SOURCE ? '../registry.ts' : '../registry.js', import.meta.url).href;

export interface LaneJob {
  readonly scenario: string;
  readonly seed: number;
  readonly index: number;
}

export class WorkerLane {
  /** The simulated scenarios this worker has, by name. */
  readonly scenarios: ReadonlySet<string>;
  private readonly worker: Worker;
  private nextId = 1;
  private current: { id: number; resolve: (o: Outcome) => void } | undefined;
  private deathReason: string | undefined;

  private constructor(worker: Worker, scenarios: readonly string[]) {
    this.worker = worker;
    this.scenarios = new Set(scenarios);
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'done' || this.current?.id !== m.id) return;
      const { resolve } = this.current;
      this.current = undefined;
      const o = m.outcome;
      resolve(o.kind === 'threw' ? { kind: 'threw', error: rebuildError(o.message, o.stack) } : o);
    });
    worker.on('error', (err) => this.die(`the worker thread failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.die(`the worker thread exited (code ${code})`));
  }

  /** Starts a worker and waits until it has loaded its scenarios. */
  static start(scenarioModule: string): Promise<WorkerLane> {
    const data: WorkerData = { scenarioModule };
    // Run from the sources, its modules are stripped by this thread: no WebAssembly in the worker (strippedWorker.ts).
    // The scenario module is imported by name (workerData): walked with the entry, not asked for module by module.
    const scenarioUrl = URL.parse(data.scenarioModule);
    const worker = startStrippedWorker(
      WORKER_URL,
      { workerData: data },
      scenarioUrl === null ? [] : [scenarioUrl],
    );
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void =>
        reject(new Error(`a torture worker exited while loading its scenarios (code ${code})`));
      const onError = (err: Error): void => reject(err);
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.once('message', (m: FromWorker) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (m.type === 'ready') resolve(new WorkerLane(worker, m.scenarios));
        else {
          void worker.terminate();
          reject(
            new Error(
              `a torture worker could not load its scenarios: ${m.type === 'loadFailed' ? m.error : m.type}`,
            ),
          );
        }
      });
    });
  }

  get alive(): boolean {
    return this.deathReason === undefined;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs one iteration; never rejects. */
  run(job: LaneJob): Promise<Outcome> {
    if (this.current) throw new Error('a torture worker runs one iteration at a time');
    if (this.deathReason !== undefined)
      return Promise.resolve({ kind: 'threw', error: new Error(this.deathReason) });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.current = { id, resolve };
      this.post({ type: 'run', id, ...job });
    });
  }

  /** Tells the running iteration to stop early (its `ctx.signal`). */
  abort(): void {
    if (this.current) this.post({ type: 'abort', id: this.current.id });
  }

  /** Ends the worker; an iteration still running ends as `threw` with `reason`. */
  async terminate(reason = 'the worker thread was terminated'): Promise<void> {
    this.die(reason);
    await this.worker.terminate();
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private die(reason: string): void {
    if (this.deathReason === undefined) this.deathReason = reason;
    const c = this.current;
    this.current = undefined;
    c?.resolve({ kind: 'threw', error: new Error(this.deathReason) });
  }
}

function rebuildError(message: string, stack: string | undefined): Error {
  const e = new Error(message);
  e.stack = stack ?? `Error: ${message}`;
  return e;
}
