/**
 * Test worker for strippedWorker.test.ts: imports a module of the project
 * (TypeScript, with types to strip), then answers each request:
 * - `probe`: whether Node's TypeScript stripper (amaro, WebAssembly) was
 *   loaded in this thread, what the imported module computed, and this
 *   module's `import.meta.url`;
 * - `unlisted`: imports a `.ts` module by a computed specifier (no walk of the
 *   sources can see it) and answers what it exports;
 * - `data`: the keys and `recordElementsMax` of its workerData;
 * - `throw`: throws, for the stack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { INTEGRITY_ATTRIBUTE_PREFIX, isIntegrityAttribute } from '../../names.ts';

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

type Request = 'probe' | 'unlisted' | 'data' | 'throw';

const port = parentPort;
if (port === null) throw new Error('wasmProbeWorker.ts runs as a worker thread');
port.on('message', (request: Request) => {
  if (request === 'probe') {
    const answer: WasmProbeAnswer = {
      amaroLoaded: moduleLoadList().some((m) => m.includes('amaro')),
      imported: isIntegrityAttribute(`${INTEGRITY_ATTRIBUTE_PREFIX}hash`),
      url: import.meta.url,
    };
    port.postMessage(answer);
  } else if (request === 'unlisted') {
    const name = ['..', '..', '..', 'semconv.ts'].join('/');
    import(new URL(name, import.meta.url).href).then(
      (m: { ATTR_CLIENT_IDENTITY: string }) => port.postMessage(m.ATTR_CLIENT_IDENTITY),
      (err: unknown) => port.postMessage(`failed: ${String(err)}`),
    );
  } else if (request === 'data') {
    const data = workerData as { recordElementsMax?: unknown };
    port.postMessage({ keys: Object.keys(data).sort(), recordElementsMax: data.recordElementsMax });
  } else {
    throw new Error('asked to throw');
  }
});
