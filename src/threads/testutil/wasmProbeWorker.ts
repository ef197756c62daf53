/**
 * Test worker for strippedWorker.test.ts: imports a module of the project
 * (TypeScript, with types to strip), then answers each request:
 * - `probe`: whether Node's TypeScript stripper (amaro, WebAssembly) was
 *   loaded in this thread, what the imported module computed, and this
 *   module's `import.meta.url`;
 * - `{ import: url }`: imports that module (a computed specifier no walk of
 *   the sources can see) and answers the names it exports, or why it failed;
 * - `data`: the keys and `recordElementsMax` of its workerData;
 * - `throw`: throws, for the stack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { INTEGRITY_ATTRIBUTE_PREFIX, isIntegrityAttribute } from '../../integrity/names.ts';

export interface WasmProbeAnswer {
  readonly amaroLoaded: boolean;
  readonly imported: boolean;
  readonly url: string;
}

/** Node's list of the internal modules and bindings loaded in this thread (undocumented, not in @types/node). */
function moduleLoadList(): readonly string[] {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList;
  if (!Array.isArray(list)) throw new Error('process.moduleLoadList is gone: the probe needs another way');
  return list.filter((m): m is string => typeof m === 'string');
}

export type WasmProbeRequest = 'probe' | 'data' | 'throw' | { readonly import: string };

const port = parentPort;
if (port === null) throw new Error('wasmProbeWorker.ts runs as a worker thread');
port.on('message', (request: WasmProbeRequest) => {
  if (typeof request === 'object') {
    import(request.import).then(
      (m: Record<string, unknown>) => port.postMessage(Object.keys(m).sort()),
      (err: unknown) => port.postMessage(`failed: ${String(err)}`),
    );
  } else if (request === 'probe') {
    const answer: WasmProbeAnswer = {
      amaroLoaded: moduleLoadList().some((m) => m.includes('amaro')),
      imported: isIntegrityAttribute(`${INTEGRITY_ATTRIBUTE_PREFIX}hash`),
      url: import.meta.url,
    };
    port.postMessage(answer);
  } else if (request === 'data') {
    const data = workerData as { recordElementsMax?: unknown };
    port.postMessage({ keys: Object.keys(data).sort(), recordElementsMax: data.recordElementsMax });
  } else {
    throw new Error('asked to throw');
  }
});
