/**
 * A worker started with startStrippedWorker on a module of the TypeScript
 * sources runs no WebAssembly: Node's stripper (amaro) is never loaded in its
 * thread, yet the module and what it imports, even by a computed specifier,
 * run as written (see strippedWorker.ts for the crash this prevents).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import type { WasmProbeAnswer, WasmProbeRequest } from './testutil/wasmProbeWorker.ts';
import { startStrippedWorker, strippedGraph } from './strippedWorker.ts';

const PROBE = new URL('./testutil/wasmProbeWorker.ts', import.meta.url);
const tmp = makeTempDir('otel-audit-stripped-worker-');
const started: Worker[] = [];
afterAll(() => tmp.cleanup());
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

function track(worker: Worker): Worker {
  started.push(worker);
  return worker;
}

async function ask<T>(worker: Worker, request: WasmProbeRequest): Promise<T> {
  const answer = once(worker, 'message') as Promise<[T]>;
  worker.postMessage(request);
  return (await answer)[0];
}

describe('startStrippedWorker', () => {
  it('runs a .ts module and its .ts imports without loading the TypeScript stripper (WebAssembly) in the worker', async () => {
    const answer = await ask<WasmProbeAnswer>(track(startStrippedWorker(PROBE)), 'probe');
    expect(answer).toEqual({ amaroLoaded: false, imported: true, url: PROBE.href });
  });

  it('(control) a worker started on the .ts module directly loads the stripper', async () => {
    const answer = await ask<WasmProbeAnswer>(track(new Worker(PROBE)), 'probe');
    expect(answer).toEqual({ amaroLoaded: true, imported: true, url: PROBE.href });
  });

  it('serves a .ts module imported by a computed specifier, stripped by the calling thread', async () => {
    const worker = track(startStrippedWorker(PROBE));
    const semconv = new URL('../semconv.ts', import.meta.url).href;
    expect(strippedGraph(PROBE).map(([url]) => url)).not.toContain(semconv);
    expect(await ask<string[]>(worker, { import: semconv })).toContain('ATTR_CLIENT_IDENTITY');
    expect(await ask<WasmProbeAnswer>(worker, 'probe')).toMatchObject({ amaroLoaded: false });
  });

  it('fails the import of a module the calling thread cannot strip, naming it and why', async () => {
    const bad = path.join(tmp.dir, 'enum.ts');
    fs.writeFileSync(bad, 'export enum Colour { Red }\n'); // an enum is not erasable: stripping refuses it
    const worker = track(startStrippedWorker(PROBE));
    const answer = await ask<string>(worker, { import: pathToFileURL(bad).href });
    expect(answer).toMatch(/^failed: Error: strippedWorker: cannot load file:.*\/enum\.ts: .*enum/i);
    expect(await ask<WasmProbeAnswer>(worker, 'probe')).toMatchObject({ amaroLoaded: false });
  });

  it('keeps line numbers: a stack names the file and line of the source', async () => {
    const worker = track(startStrippedWorker(PROBE));
    const failed = once(worker, 'error') as Promise<[Error]>;
    worker.postMessage('throw');
    const [err] = await failed;
    expect(err.message).toBe('asked to throw');
    const lines = fs.readFileSync(PROBE, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes("new Error('asked to throw')")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(err.stack).toContain(`${PROBE.href}:${line}:`);
  });

  it('hands the caller workerData on, with its own keys beside it', async () => {
    const worker = track(startStrippedWorker(PROBE, { workerData: { recordElementsMax: 7 } }));
    expect(await ask<unknown>(worker, 'data')).toEqual({
      keys: [
        '__strippedWorkerEntry',
        '__strippedWorkerPort',
        '__strippedWorkerSignal',
        '__strippedWorkerSources',
        'recordElementsMax',
      ],
      recordElementsMax: 7,
    });
  });

  it('starts the verify worker, which loads every module and exits on its own when told to', async () => {
    const entry = new URL('../integrity/verify/internal/verifyWorker.ts', import.meta.url);
    const worker = track(startStrippedWorker(entry, { workerData: { recordElementsMax: 7 } }));
    const exited = once(worker, 'exit');
    worker.postMessage(null); // no batches: it exits on its own, once every module it imports has loaded
    expect(await exited).toEqual([0]);
  });

  it('refuses workerData that is not a plain object for a .ts entry', () => {
    expect(() => startStrippedWorker(PROBE, { workerData: 5 })).toThrow(/workerData must be a plain object/);
    expect(() => startStrippedWorker(PROBE, { workerData: [1] })).toThrow(
      /workerData must be a plain object/,
    );
  });

  it('strips each module of the graph once per process, and only .ts modules reached from the entry', () => {
    const graph = strippedGraph(PROBE);
    expect(strippedGraph(PROBE)).toBe(graph);
    const files = graph.map(([url]) => url.slice(url.indexOf('/src/')));
    expect(files).toEqual(['/src/threads/testutil/wasmProbeWorker.ts', '/src/integrity/names.ts']);
    const [, probe] = graph[0] as readonly [string, string];
    expect(probe).not.toMatch(/interface WasmProbeAnswer|: WasmProbeRequest\b/);
  });
});
