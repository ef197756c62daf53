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
 * ends workers on every run and replaces the ones that die.
 *
 * So the modules of a `.ts` entry are stripped here, in the calling thread
 * (which lives as long as the process), once per process, and the worker is
 * handed them: a load hook (`module.registerHooks`) serves each `.ts` module
 * of the graph as the stripped JavaScript, and refuses any other `.ts` module
 * (a module this walk missed fails the worker loudly instead of loading amaro
 * quietly). Stripping only blanks the types out, so line and column numbers,
 * `import.meta.url` and what the code does are those of the file.
 *
 * From the built package (`dist/*.js`) the entry is JavaScript and the worker
 * starts on it directly.
 */
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The workerData keys the bootstrap reads; the caller's own workerData keys must not use them. */
const SOURCES_KEY = '__strippedWorkerSources';
const ENTRY_KEY = '__strippedWorkerEntry';

/** The worker's first code (CommonJS, run with `eval`): the load hook, then the entry. */
const BOOTSTRAP = `'use strict';
const { registerHooks } = require('node:module');
const { workerData } = require('node:worker_threads');
const sources = new Map(workerData.${SOURCES_KEY});
registerHooks({
  load(url, context, nextLoad) {
    const source = sources.get(url);
    if (source !== undefined) return { format: 'module', source, shortCircuit: true };
    if (/^file:.*\\.[cm]?ts$/.test(url)) {
      throw new Error('strippedWorker: ' + url + ' is not among the modules stripped for this worker');
    }
    return nextLoad(url, context);
  },
});
import(workerData.${ENTRY_KEY});
`;

/** Per entry: its module graph's `.ts` modules as [file URL, stripped source]. */
const graphs = new Map<string, ReadonlyArray<readonly [string, string]>>();

/**
 * Starts a worker on `entry`. `options.workerData` must be a plain object (or
 * absent) when `entry` is a `.ts` file: the bootstrap's two keys are added to it.
 */
export function startStrippedWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const data: unknown = options.workerData ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('startStrippedWorker: workerData must be a plain object for a .ts entry');
  }
  return new Worker(BOOTSTRAP, {
    ...options,
    eval: true,
    workerData: { ...data, [SOURCES_KEY]: strippedGraph(entry), [ENTRY_KEY]: entry.href },
  });
}

/** The `.ts` modules `entry` imports, directly or not, and itself, stripped; computed once per process. */
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
    const source = stripQuietly(fs.readFileSync(url, 'utf8'));
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

/**
 * The relative specifiers of the static imports and re-exports of a stripped
 * module (`import … from './x.ts'`, `import './x.ts'`, `export … from './x.ts'`)
 * and of its `import('./x.ts')` with a literal. One taken from a comment or a
 * string at worst strips a file the worker never loads; one missed fails the
 * worker's start (the load hook refuses it), which the tests would see.
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
