/**
 * A worker thread of the parallel torture runner: loads the simulated
 * scenarios from `workerData.scenarioModule`, says which it has, then runs
 * the iterations it is sent, one at a time, exactly as the sequential
 * runner would (the same seed, the same iteration index), and sends back
 * each outcome. Hang timeouts are the parent's: it terminates a worker
 * whose iteration does not finish in time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadedScenarios } from '../registry.ts';
import type { Scenario } from '../Scenario.ts';
import { skipReasonOfError } from '../skipped.ts';
import type { FromWorker, ToWorker, WireOutcome, WorkerData } from './messages.ts';

const port = parentPort;
if (port === null) throw new Error('iterationWorker.ts runs only as a worker thread');
const send = (m: FromWorker): void => port.postMessage(m);

const byName = new Map<string, Scenario>();
try {
  const data = workerData as WorkerData;
  const mod = (await import(data.scenarioModule)) as { loadScenarios?: () => Promise<LoadedScenarios> };
  if (typeof mod.loadScenarios !== 'function')
    throw new Error(`${data.scenarioModule} does not export loadScenarios()`);
  for (const s of (await mod.loadScenarios()).scenarios) if (s.kind === 'simulated') byName.set(s.name, s);
  send({ type: 'ready', scenarios: [...byName.keys()] });
} catch (err) {
  send({ type: 'loadFailed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}

const running = new Map<number, AbortController>();

port.on('message', (m: ToWorker) => {
  if (m.type === 'abort') {
    running.get(m.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(m.id, controller);
  void runOne(m, controller.signal).then((outcome) => {
    running.delete(m.id);
    try {
      send({ type: 'done', id: m.id, outcome });
    } catch (err) {
      // A result that cannot cross to the parent (not structured-clone data) is the scenario's bug: it fails.
      const message = `its result could not be sent to the runner: ${err instanceof Error ? err.message : String(err)}`;
      send({ type: 'done', id: m.id, outcome: { kind: 'threw', message, stack: undefined } });
    }
  });
});

async function runOne(m: Extract<ToWorker, { type: 'run' }>, signal: AbortSignal): Promise<WireOutcome> {
  try {
    const scenario = byName.get(m.scenario);
    if (scenario === undefined) throw new Error(`this worker has no simulated scenario ${m.scenario}`);
    const result = await scenario.run({ seed: m.seed, iteration: m.index, workDir: '', signal });
    return { kind: 'result', result };
  } catch (error) {
    const reason = skipReasonOfError(error);
    if (reason !== undefined) return { kind: 'skipped', reason };
    return error instanceof Error
      ? { kind: 'threw', message: error.message, stack: error.stack }
      : { kind: 'threw', message: String(error), stack: undefined };
  }
}
