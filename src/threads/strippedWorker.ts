/**
 * Starts a worker thread on a module of this project so that the thread runs
 * no WebAssembly.
 *
 * Run from the TypeScript sources (`npm start`, `npm run otel-audit`, the
 * tests), Node strips the types of every `.ts` module it loads with amaro,
 * which is WebAssembly, in the thread that loads it. Short-lived worker
 * threads doing that crashed the process: a CI run and a local loop of
 * verifyWalParallel.test.ts (1 run in 18) died of SIGSEGV, and the core dump
 * has the worker thread in V8's wasm code (`Runtime_TierUpWasmToJSWrapper` →
 * `WasmCodeRefScope` → `WasmEngine::FreeDeadCode` → `NativeModule::FreeCode`,
 * taking the mutex of a NativeModule at a garbage address): code of a wasm
 * module freed with an earlier worker's isolate. verifyWalParallel starts and
 * ends workers on every run and replaces the ones that die; the parallel
 * torture runner replaces the workers it terminates.
 *
 * So the worker's `.ts` modules are stripped here, in the calling thread
 * (which lives as long as the process), and a load hook in the worker
 * (`module.registerHooks`) serves them as JavaScript:
 * - the modules the entry imports with literal specifiers, walked and stripped
 *   once per process and handed to the worker with its workerData;
 * - any other `.ts` module (a computed `import()`, such as the torture
 *   registry's scenario files): the hook asks this thread for it on a
 *   MessagePort and waits for the answer (`Atomics.wait`, then
 *   `receiveMessageOnPort`), so this thread's event loop must be free to
 *   answer while a worker loads one (it is: nothing here blocks it).
 * Stripping only blanks the types out, so line and column numbers,
 * `import.meta.url` and what the code does are those of the file.
 *
 * From the built package (`dist/*.js`) the entry is JavaScript and the worker
 * starts on it directly.
 */
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';

/** The workerData keys the bootstrap reads; the caller's own workerData keys must not use them. */
const KEYS = {
  sources: '__strippedWorkerSources',
  entry: '__strippedWorkerEntry',
  port: '__strippedWorkerPort',
  signal: '__strippedWorkerSignal',
} as const;

/** What the calling thread answers a worker that asks for a module: its stripped source, or why not. */
type StripReply = { readonly source: string } | { readonly error: string };

/** The worker's first code (CommonJS, run with `eval`): the load hook, then the entry. */
const BOOTSTRAP = `'use strict';
const { registerHooks } = require('node:module');
const { receiveMessageOnPort, workerData } = require('node:worker_threads');
const sources = new Map(workerData.${KEYS.sources});
const port = workerData.${KEYS.port};
const signal = workerData.${KEYS.signal};
function fetchStripped(url) {
  Atomics.store(signal, 0, 0);
  port.postMessage(url);
  Atomics.wait(signal, 0, 0);
  const reply = receiveMessageOnPort(port);
  if (reply === undefined) throw new Error('strippedWorker: no answer for ' + url);
  if (reply.message.error !== undefined) throw new Error('strippedWorker: cannot load ' + url + ': ' + reply.message.error);
  sources.set(url, reply.message.source);
  return reply.message.source;
}
registerHooks({
  load(url, context, nextLoad) {
    let source = sources.get(url);
    if (source === undefined && /^file:.*\\.[cm]?ts$/.test(url)) source = fetchStripped(url);
    if (source !== undefined) return { format: 'module', source, shortCircuit: true };
    return nextLoad(url, context);
  },
});
import(workerData.${KEYS.entry});
`;

/** Per entry: its module graph's `.ts` modules as [file URL, stripped source]. */
const graphs = new Map<string, ReadonlyArray<readonly [string, string]>>();
/** Every module stripped in this process, by file URL. */
const stripped = new Map<string, string>();

/**
 * Starts a worker on `entry`. When `entry` is a `.ts` file, `options.workerData`
 * must be a plain object (or absent): the bootstrap's keys are added to it.
 */
export function startStrippedWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const data: unknown = options.workerData ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('startStrippedWorker: workerData must be a plain object for a .ts entry');
  }
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(BOOTSTRAP, {
    ...options,
    eval: true,
    workerData: {
      ...data,
      [KEYS.sources]: strippedGraph(entry),
      [KEYS.entry]: entry.href,
      [KEYS.port]: port2,
      [KEYS.signal]: signal,
    },
    transferList: [...(options.transferList ?? []), port2],
  });
  answerStripRequests(port1, signal);
  worker.once('exit', () => port1.close());
  return worker;
}

/** Answers each module a worker asks for on `port`, then wakes it. Holds the process no longer than the worker. */
function answerStripRequests(port: MessagePort, signal: Int32Array): void {
  port.on('message', (url: unknown) => {
    let reply: StripReply;
    try {
      if (typeof url !== 'string') throw new TypeError(`not a module URL: ${String(url)}`);
      reply = { source: strippedModule(new URL(url)) };
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
  port.unref();
}

/** The `.ts` modules `entry` imports with literal specifiers, directly or not, and itself, stripped; once per process. */
export function strippedGraph(entry: URL): ReadonlyArray<readonly [string, string]> {
  let graph = graphs.get(entry.href);
  if (graph === undefined) {
    graph = walk(entry);
    graphs.set(entry.href, graph);
  }
  return graph;
}

function walk(entry: URL): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  const seen = new Set<string>([entry.href]);
  const todo = [entry];
  for (let url = todo.pop(); url !== undefined; url = todo.pop()) {
    const source = strippedModule(url);
    out.push([url.href, source]);
    for (const specifier of relativeSpecifiers(source)) {
      const next = new URL(specifier, url);
      if (!next.pathname.endsWith('.ts') || seen.has(next.href)) continue;
      seen.add(next.href);
      todo.push(next);
    }
  }
  return out;
}

function strippedModule(url: URL): string {
  let source = stripped.get(url.href);
  if (source === undefined) {
    source = stripQuietly(fs.readFileSync(url, 'utf8'));
    stripped.set(url.href, source);
  }
  return source;
}

/**
 * The relative specifiers of the static imports and re-exports of a stripped
 * module (`import … from './x.ts'`, `import './x.ts'`, `export … from './x.ts'`)
 * and of its `import('./x.ts')` with a literal. One taken from a comment or a
 * string at worst strips a file the worker never loads; one missed is asked
 * for when the worker loads it.
 */
function relativeSpecifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /\b(?:from|import)\s*\(?\s*(['"])(\.{1,2}\/[^'"\n]+)\1/g;
  for (const match of source.matchAll(pattern)) found.push(match[2] as string);
  return found;
}

/**
 * `stripTypeScriptTypes`, without the one ExperimentalWarning it emits: the
 * stripping is the very one Node applies to the project's modules, and a
 * warning on the CLI's stderr would only alarm.
 */
function stripQuietly(code: string): string {
  const emit = process.emitWarning;
  process.emitWarning = function (
    this: typeof process,
    ...args: Parameters<typeof process.emitWarning>
  ): void {
    const [warning] = args;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('stripTypeScriptTypes')) return;
    emit.apply(this, args);
  } as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(code, { mode: 'strip' });
  } finally {
    process.emitWarning = emit;
  }
}
