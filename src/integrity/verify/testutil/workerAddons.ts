/**
 * Test helper, run as a child process by verifyWorker.test.ts
 * (`node workerAddons.ts verify|control`): a process that has loaded nothing
 * of the project but this file's imports starts one worker thread, waits for
 * its answer, and prints as JSON the native addons (`*.node` files) loaded in
 * the process while that worker is alive, before and after it started.
 *
 * - `verify`: the verify worker (internal/verifyWorker.ts), answering a batch
 *   of one record, started as `verifyWalParallel` starts it (strippedWorker.ts);
 * - `control`: a worker that loads @node-rs/crc32, to show the check sees an
 *   addon a worker loads.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createAuditRecord } from '../../../record/AuditRecord.ts';
import { encodeRecord } from '../../../record/walCodec.ts';
import type { PackedFacts, PayloadBatch } from '../internal/factsBatch.ts';
import { startStrippedWorker } from '../../../threads/strippedWorker.ts';
import type { VerifyWorkerData } from '../internal/verifyWorker.ts';

export interface WorkerAddons {
  readonly mode: 'verify' | 'control';
  /** Native addons loaded before the worker started. */
  readonly before: readonly string[];
  /** Native addons loaded once the worker answered, while it is alive. */
  readonly during: readonly string[];
  /** What the worker answered: the record kinds of the batch (`verify`), or the CRC it computed. */
  readonly answer: string;
}

function loadedAddons(): string[] {
  const report = process.report.getReport() as { sharedObjects?: unknown };
  const objects = Array.isArray(report.sharedObjects) ? (report.sharedObjects as unknown[]) : [];
  return objects.filter((o): o is string => typeof o === 'string' && o.endsWith('.node'));
}

const CONTROL_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { crc32c } = require('node:module').createRequire(workerData)('@node-rs/crc32');
parentPort.postMessage(String(crc32c(Buffer.from('123456789'))));
`;

async function run(mode: 'verify' | 'control'): Promise<WorkerAddons> {
  const before = loadedAddons();
  let worker: Worker;
  let first: Promise<unknown>;
  if (mode === 'verify') {
    const data: VerifyWorkerData = { recordElementsMax: 1024 };
    worker = startStrippedWorker(new URL('../internal/verifyWorker.ts', import.meta.url), {
      workerData: data,
    });
    first = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const payload = encodeRecord(createAuditRecord({ body: 'one record' }));
    const batch: PayloadBatch = {
      id: 0,
      bytes: new Uint8Array(payload).buffer as ArrayBuffer, // a copy: payload may view a shared pool
      spans: Uint32Array.of(0, payload.length),
    };
    worker.postMessage(batch, [batch.bytes]);
  } else {
    const resolveFrom = createRequire(import.meta.url).resolve('@node-rs/crc32');
    worker = new Worker(CONTROL_WORKER, { eval: true, workerData: resolveFrom });
    first = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }
  const message = await first;
  const during = loadedAddons();
  await worker.terminate();
  const answer = mode === 'verify' ? Array.from((message as PackedFacts).kinds).join(',') : String(message);
  return { mode, before, during, answer };
}

const mode = process.argv[2];
if (mode !== 'verify' && mode !== 'control') throw new Error('usage: workerAddons.ts verify|control');
process.stdout.write(JSON.stringify(await run(mode)));
