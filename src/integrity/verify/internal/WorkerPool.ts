/**
 * The worker threads of `verifyWalParallel` (see there): each answers the
 * batches it is given in order. A worker that dies rejects the batches it
 * held with `WorkerDiedError` and is replaced, at most `WORKER_RESPAWNS_MAX`
 * times. `close` asks each to stop and exit on its own, terminating only one
 * still running after the grace. Workers start with strippedWorker.ts: run
 * from the TypeScript sources, they run no WebAssembly (see there why).
 */
import type { Worker } from 'node:worker_threads';
import { OtelAuditError } from '../../../errors.ts';
import { startStrippedWorker } from '../../../threads/strippedWorker.ts';
import type { PackedFacts, PayloadBatch } from './factsBatch.ts';
import type { VerifyWorkerData, VerifyWorkerMessage } from './verifyWorker.ts';

/** Workers that die (out of memory) are replaced at most this often in one verification. */
export const WORKER_RESPAWNS_MAX = 16;

const WORKER_URL = new URL(
  `./verifyWorker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

/** A worker died (out of memory, or crashed) before answering a batch. */
export class WorkerDiedError extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(`verify worker ${reason}`);
    this.reason = reason;
  }
}

type Waiting = Array<{ resolve(p: PackedFacts): void; reject(e: Error): void }>;

/**
 * Worker threads that answer batches in the order each was given them. A worker that dies rejects
 * the batches it held with `WorkerDiedError` and is replaced, up to `WORKER_RESPAWNS_MAX` times.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  /** Per worker: settles with its exit code when its thread has exited. */
  private readonly exited: Array<Promise<number>> = [];
  /** Per worker: the callbacks of its outstanding batches, oldest first. */
  private readonly waiting: Waiting[] = [];
  private next = 0;
  private failure: Error | undefined;
  private deaths = 0;
  private closing = false;
  private readonly workerData: VerifyWorkerData;
  private readonly heapMb: number | undefined;

  constructor(size: number, workerData: VerifyWorkerData, heapMb: number | undefined) {
    this.workerData = workerData;
    this.heapMb = heapMb;
    for (let i = 0; i < size; i++) this.workers.push(this.spawn(i));
  }

  private spawn(i: number): Worker {
    const worker = startStrippedWorker(WORKER_URL, {
      workerData: this.workerData,
      ...(this.heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } }),
    });
    // Its own list: an answer a dead worker sent late must never settle its successor's batches.
    const waiting: Waiting = [];
    this.waiting[i] = waiting;
    this.exited[i] = new Promise((resolve) => worker.once('exit', resolve));
    let reason: string | undefined;
    worker.on('message', (p: PackedFacts) => waiting.shift()?.resolve(p));
    worker.on('error', (err: Error & { code?: string }) => {
      reason ??=
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of memory (worker heap limit ${this.heapMb ?? '?'} MiB; --jobs 0 checks in the main thread without it)`
          : `failed: ${err.message}`;
    });
    // After 'error', and after the answers the worker sent before it died were delivered.
    worker.on('exit', (code) => this.died(i, worker, reason ?? `exited (code ${code})`));
    return worker;
  }

  /** Rejects what worker `i` held and puts a new worker in its place. */
  private died(i: number, worker: Worker, reason: string): void {
    if (this.closing || this.workers[i] !== worker) return;
    const lost = (this.waiting[i] as Waiting).splice(0);
    if (++this.deaths > WORKER_RESPAWNS_MAX) {
      this.failure ??= new OtelAuditError(
        'INTERNAL',
        `verify workers died ${this.deaths} times; the last ${reason}`,
      );
      for (const w of lost) w.reject(this.failure);
      return;
    }
    this.workers[i] = this.spawn(i);
    for (const w of lost) w.reject(new WorkerDiedError(reason));
  }

  get size(): number {
    return this.workers.length;
  }

  submit(batch: PayloadBatch): Promise<PackedFacts> {
    if (this.failure) return Promise.reject(this.failure);
    const i = this.next++ % this.workers.length;
    return new Promise<PackedFacts>((resolve, reject) => {
      (this.waiting[i] as Waiting).push({ resolve, reject });
      (this.workers[i] as Worker).postMessage(batch, [batch.bytes, batch.spans.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker: asks each to exit on its own, terminating one still running after the grace. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w, i) => stopWorker(w, this.exited[i] as Promise<number>, graceMs)));
  }
}

/** The message that tells a verify worker there are no more batches (internal/verifyWorker.ts). */
const STOP: VerifyWorkerMessage = null;

/** Asks `worker` to exit on its own and waits for it; terminates it if it has not exited after `graceMs`. */
async function stopWorker(worker: Worker, exited: Promise<number>, graceMs: number): Promise<void> {
  worker.postMessage(STOP); // a no-op for a worker that has exited already
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, graceMs, 'late');
  });
  try {
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
  } finally {
    clearTimeout(timer);
  }
}
