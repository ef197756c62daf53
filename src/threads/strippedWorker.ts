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
 * `import.meta.url` and what the code does are those of the file. Each module
 * is served in the format Node gives it (`.mts` ES module, `.cts` CommonJS,
 * `.ts` by its package.json `type`), and a file changed on disk since it was
 * stripped is stripped again for the next worker.
 *
 * What differs from `new Worker(entry)`: the worker's first code is an `eval`
 * bootstrap that imports the entry, so `--import` preloads in `execArgv` are
 * not run, `import.meta.main` is false and `process.argv[1]` is
 * `[worker eval]` (neither worker of this project reads them). Called from a
 * worker thread, the stripping runs there (no user does that).
 *
 * From the built package (`dist/*.js`) the entry is JavaScript and the worker
 * starts on it directly.
 */
import fs from 'node:fs';
import { findPackageJSON, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';

/** The workerData keys the bootstrap reads; the caller's own workerData keys must not use them. */
const KEYS = {
  sources: '__strippedWorkerSources',
  entry: '__strippedWorkerEntry',
  port: '__strippedWorkerPort',
  signal: '__strippedWorkerSignal',
} as const;

/** A module as the worker's load hook serves it. */
interface Served {
  readonly format: 'module' | 'commonjs';
  readonly source: string;
}

/** What the calling thread answers a worker that asks for a module: the module, or why not. */
type StripReply = { readonly module: Served } | { readonly error: string };

/**
 * The worker's first code (CommonJS, run with `eval`): reads and removes its keys from workerData and the
 * CommonJS globals `eval` leaves on globalThis (which every ES module of the worker would see), installs the
 * load hook, then imports the entry; a worker whose entry never settles (a top-level await) exits with 13,
 * as a plain worker does, not 0.
 */
const BOOTSTRAP = `'use strict';
const { registerHooks } = require('node:module');
const { receiveMessageOnPort, workerData } = require('node:worker_threads');
const sources = new Map(workerData.${KEYS.sources});
const port = workerData.${KEYS.port};
const signal = workerData.${KEYS.signal};
const entry = workerData.${KEYS.entry};
for (const key of ${JSON.stringify(Object.values(KEYS))}) delete workerData[key];
for (const name of ['require', 'module', 'exports', '__dirname', '__filename']) delete globalThis[name];
function fetchStripped(url) {
  Atomics.store(signal, 0, 0);
  port.postMessage(url);
  Atomics.wait(signal, 0, 0);
  const reply = receiveMessageOnPort(port);
  if (reply === undefined) throw new Error('strippedWorker: no answer for ' + url);
  if (reply.message.error !== undefined) throw new Error('strippedWorker: cannot load ' + url + ': ' + reply.message.error);
  sources.set(url, reply.message.module);
  return reply.message.module;
}
registerHooks({
  load(url, context, nextLoad) {
    let served = sources.get(url);
    if (served === undefined && url.startsWith('file:') && /\\.[cm]?ts$/.test(new URL(url).pathname)) {
      served = fetchStripped(url);
    }
    if (served !== undefined) return { format: served.format, source: served.source, shortCircuit: true };
    return nextLoad(url, context);
  },
});
let settled = false;
import(entry).finally(() => { settled = true; });
process.once('exit', (code) => { if (!settled && code === 0) process.exitCode = 13; });
`;

/** Every module stripped in this process, by file URL, with the file's size and mtime when it was. */
const stripped = new Map<
  string,
  { readonly mtimeMs: number; readonly size: number; readonly served: Served }
>();
/** The `type` of each package.json a `.ts` module's format was looked up in. */
const packageTypes = new Map<string, unknown>();

/**
 * Starts a worker on `entry`. When `entry` is a `.ts` file, `options.workerData` must be a plain object
 * (or absent): the bootstrap's keys ride beside the caller's (and are gone from the worker's workerData
 * once read). `alsoWalk`: modules the worker imports by a computed specifier (a scenario module named in
 * workerData), walked with the entry so their graphs need no round trips to this thread.
 */
export function startStrippedWorker(
  entry: URL,
  options: WorkerOptions = {},
  alsoWalk: readonly URL[] = [],
): Worker {
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
      [KEYS.sources]: strippedGraph(entry, alsoWalk),
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
      reply = { module: strippedModule(new URL(url)) };
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
  port.unref();
}

/**
 * The `.ts` modules `roots` import with literal specifiers, directly or not, and the roots, stripped (each
 * file once per process, again when it changed), under the real paths Node loads them by. A module named
 * but missing or not strippable is left out (a specifier in a comment, an optional `import()` the module
 * catches): the worker asks for it if it really loads it, and fails that import then, as Node would.
 */
export function strippedGraph(
  entry: URL,
  alsoWalk: readonly URL[] = [],
): ReadonlyArray<readonly [string, Served]> {
  const out: Array<readonly [string, Served]> = [];
  const roots = [entry, ...alsoWalk].map(realUrl);
  const entryHref = (roots[0] as URL).href;
  const seen = new Set<string>(roots.map((u) => u.href));
  const todo = [...roots].reverse();
  for (let url = todo.pop(); url !== undefined; url = todo.pop()) {
    let served: Served;
    try {
      served = strippedModule(url);
    } catch (err) {
      if (url.href === entryHref) throw err; // the entry itself: nothing to start
      continue;
    }
    out.push([url.href, served]);
    for (const specifier of relativeSpecifiers(served.source)) {
      const next = new URL(specifier, url);
      if (!next.pathname.endsWith('.ts') || seen.has(next.href)) continue;
      seen.add(next.href);
      todo.push(next);
    }
  }
  return out;
}

/** `url` by its real path (Node loads a module through a symlink by its real path); as is if that fails. */
function realUrl(url: URL): URL {
  try {
    return pathToFileURL(fs.realpathSync(url));
  } catch {
    return url;
  }
}

function strippedModule(url: URL): Served {
  const { mtimeMs, size } = fs.statSync(url);
  const cached = stripped.get(url.href);
  if (cached !== undefined && cached.mtimeMs === mtimeMs && cached.size === size) return cached.served;
  const served: Served = { format: formatOf(url), source: stripQuietly(fs.readFileSync(url, 'utf8')) };
  stripped.set(url.href, { mtimeMs, size, served });
  return served;
}

/** The format Node gives a TypeScript module: `.mts` ES module, `.cts` CommonJS, `.ts` its package's `type`. */
function formatOf(url: URL): 'module' | 'commonjs' {
  if (url.pathname.endsWith('.mts')) return 'module';
  if (url.pathname.endsWith('.cts')) return 'commonjs';
  const pkg = findPackageJSON(url);
  // Without one, Node 24 gives back the module's own path: no package, no `type`.
  if (pkg === undefined || path.basename(pkg) !== 'package.json') return 'module';
  let type = packageTypes.get(pkg);
  if (!packageTypes.has(pkg)) {
    type = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { type?: unknown }).type;
    packageTypes.set(pkg, type);
  }
  return type === 'commonjs' ? 'commonjs' : 'module';
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
