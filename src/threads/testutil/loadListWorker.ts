/**
 * Test worker for strippedWorker.test.ts: a worker that imports the
 * module URLs it is sent (answering their export names, or the value of
 * one export), and answers which of Node's internal modules known
 * to compile WebAssembly are loaded in its thread (amaro, the wasm build of
 * cjs-module-lexer, undici), plus whatever it was asked to evaluate.
 */
import { parentPort } from 'node:worker_threads';

export type LoadListRequest =
  { readonly import: string; readonly key?: string } | { readonly list: true } | { readonly meta: true };

export interface LoadListAnswer {
  readonly ok: boolean;
  readonly detail: unknown;
}

function wasmish(): string[] {
  const list = (process as { moduleLoadList?: unknown }).moduleLoadList;
  if (!Array.isArray(list)) throw new Error('process.moduleLoadList is gone');
  return list.filter((m): m is string => typeof m === 'string' && /amaro|lexer|undici|wasm/i.test(m));
}

const port = parentPort;
if (port === null) throw new Error('loadListWorker.ts runs as a worker thread');
port.on('message', (request: LoadListRequest) => {
  const reply = (a: LoadListAnswer): void => port.postMessage(a);
  if ('import' in request) {
    import(request.import).then(
      (m: Record<string, unknown>) =>
        reply({ ok: true, detail: request.key === undefined ? Object.keys(m).sort() : m[request.key] }),
      (err: unknown) => reply({ ok: false, detail: String(err) }),
    );
  } else if ('list' in request) {
    reply({ ok: true, detail: wasmish() });
  } else {
    reply({
      ok: true,
      detail: {
        url: import.meta.url,
        filename: import.meta.filename,
        dirname: import.meta.dirname,
        main: (import.meta as { main?: unknown }).main,
        argv1: process.argv[1],
        argvLength: process.argv.length,
      },
    });
  }
});
