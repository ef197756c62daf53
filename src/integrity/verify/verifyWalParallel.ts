/**
 * `verifyWal` with the per-record work in worker threads. A record's
 * IntegrityHash depends only on its own bytes, so workers decode, project,
 * hash and leaf-hash batches of record payloads; the main thread reads the
 * WAL (CRC of each frame), hands batches out round-robin, and feeds the
 * results back IN WAL ORDER to the same checks as `verifyWal`
 * (internal/WalVerification.ts): links, Merkle tree, checkpoints, signatures.
 * The report is the same as `verifyWal`'s. Memory stays bounded whatever the
 * WAL holds: a batch ends at `batchRecords` records, `BATCH_BYTES` of record
 * and checkpoint payloads or `BATCH_ITEMS` frames and damage reports (a WAL
 * of checkpoints alone is handed on too); at most `IN_FLIGHT_PER_WORKER`
 * batches per worker, and at most `IN_FLIGHT_PER_WORKER * BATCH_BYTES` per
 * worker of payloads, are out at any time (a single frame larger than that,
 * up to the WAL's frame limit, is out alone), and reading waits for the oldest.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { OtelAuditError } from '../../errors.ts';
import { decodeRecord } from '../../record/walCodec.ts';
import { FrameType } from '../../wal/format.ts';
import type { ReadDamage } from '../../wal/WalReader.ts';
import { FactsReader, type PackedFacts, type PayloadBatch } from './internal/factsBatch.ts';
import { beginVerification, type Verification } from './internal/WalVerification.ts';
import type { VerifyReport } from './VerifyReport.ts';
import { verifyWal, type VerifyOptions } from './verifyWal.ts';

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Worker threads; default `os.availableParallelism()`. 0 verifies in the calling thread (`verifyWal`). */
  readonly workers?: number;
  /** Records per batch handed to a worker; default `BATCH_RECORDS` (tests use small ones to cross batch edges). */
  readonly batchRecords?: number;
}

/** Records per batch (a batch also ends at `BATCH_BYTES` of payloads). */
export const BATCH_RECORDS = 1024;
export const BATCH_BYTES = 1024 * 1024;
/** Frames and damage reports per batch at most, whatever their kind. */
export const BATCH_ITEMS = 4 * BATCH_RECORDS;
/** Batches out per worker: enough to keep it busy while the main thread checks the previous one. */
export const IN_FLIGHT_PER_WORKER = 4;
/** Worker threads at most, whatever is asked. */
export const WORKERS_MAX = 64;

const WORKER_URL = new URL(
  `./internal/verifyWorker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

/** One frame or one reader damage report, in reading order. */
type Item =
  | { readonly seq: number; readonly type: number; readonly record: number; readonly checkpoint?: Uint8Array }
  | { readonly damage: ReadDamage };

interface Outstanding {
  readonly items: readonly Item[];
  readonly result: Promise<PackedFacts>;
  /** Payload bytes the batch holds (records and checkpoints) until it is applied. */
  readonly bytes: number;
}

export async function verifyWalParallel(o: ParallelVerifyOptions): Promise<VerifyReport> {
  const workers = o.workers ?? os.availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 0) {
    throw new OtelAuditError('INVALID_ARGUMENT', `workers must be an integer >= 0, got ${workers}`);
  }
  if (workers === 0) return verifyWal(o);
  const pool = new WorkerPool(Math.min(workers, WORKERS_MAX));
  try {
    return await run(o, pool);
  } finally {
    await pool.close();
  }
}

async function run(o: ParallelVerifyOptions, pool: WorkerPool): Promise<VerifyReport> {
  let items: Item[] = [];
  let spans: number[] = [];
  let bytes = new Uint8Array(BATCH_BYTES);
  let used = 0;
  /** Checkpoint payload bytes held by `items`. */
  let checkpointBytes = 0;
  const queue: Outstanding[] = [];
  let queuedBytes = 0;
  const inFlightMax = pool.size * IN_FLIGHT_PER_WORKER;
  const inFlightBytesMax = inFlightMax * BATCH_BYTES;
  const batchRecords = Math.max(1, o.batchRecords ?? BATCH_RECORDS);
  const batchItems = Math.max(batchRecords, Math.min(BATCH_ITEMS, 4 * batchRecords));
  let nextId = 0;
  const v = beginVerification(o);

  const dispatch = (): void => {
    // The buffer moves to the worker (transferred, not copied); the next batch gets a new one.
    const batch: PayloadBatch = {
      id: nextId++,
      bytes: bytes.buffer as ArrayBuffer,
      spans: Uint32Array.from(spans),
    };
    const held = bytes.length + checkpointBytes;
    const result = pool.submit(batch);
    result.catch(() => undefined); // awaited in order by drainOne; a later one may fail first
    queue.push({ items, result, bytes: held });
    queuedBytes += held;
    items = [];
    spans = [];
    used = 0;
    checkpointBytes = 0;
    bytes = new Uint8Array(BATCH_BYTES);
  };
  const drainOne = async (): Promise<void> => {
    const next = queue.shift();
    if (next === undefined) return;
    queuedBytes -= next.bytes;
    apply(v, next.items, await next.result);
  };

  for (const f of v.reader.records({ onDamage: (damage) => void items.push({ damage }) })) {
    if (f.type === FrameType.RECORD) {
      const length = f.payload.length;
      if (used + length > bytes.length && spans.length > 0) dispatch();
      if (length > bytes.length - used) bytes = new Uint8Array(length); // a payload larger than a batch
      bytes.set(f.payload, used);
      items.push({ seq: f.seq, type: f.type, record: spans.length / 2 });
      spans.push(used, length);
      used += length;
      if (spans.length / 2 >= batchRecords) dispatch();
    } else if (f.type === FrameType.CHECKPOINT) {
      items.push({ seq: f.seq, type: f.type, record: -1, checkpoint: Uint8Array.from(f.payload) });
      checkpointBytes += f.payload.length;
    } else items.push({ seq: f.seq, type: f.type, record: -1 });
    if (items.length >= batchItems || checkpointBytes + used >= BATCH_BYTES) dispatch();
    while (queue.length >= inFlightMax || (queue.length > 0 && queuedBytes > inFlightBytesMax)) {
      await drainOne();
    }
  }
  if (items.length > 0) dispatch();
  while (queue.length > 0) await drainOne();
  return v.finish();
}

/** Feeds one batch's frames, damage reports and record facts to the checks, in reading order. */
function apply(v: Verification, items: readonly Item[], packed: PackedFacts): void {
  const facts = new FactsReader(packed);
  const payloads = new Uint8Array(packed.bytes);
  for (const item of items) {
    if ('damage' in item) {
      v.onDamage(item.damage);
      continue;
    }
    v.frame(item.seq);
    if (item.checkpoint !== undefined) v.checkpoint(item.seq, item.checkpoint);
    else if (item.record >= 0) {
      const r = item.record;
      v.record(item.seq, facts.read(r), () => {
        const offset = packed.spans[2 * r] as number;
        return decodeRecord(payloads.subarray(offset, offset + (packed.spans[2 * r + 1] as number)));
      });
    }
  }
}

/** Worker threads that answer batches in the order each was given them. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  /** Per worker: the callbacks of its outstanding batches, oldest first. */
  private readonly waiting: Array<Array<{ resolve(p: PackedFacts): void; reject(e: Error): void }>> = [];
  private next = 0;
  private failure: Error | undefined;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL);
      const waiting: (typeof this.waiting)[number] = [];
      worker.on('message', (p: PackedFacts) => waiting.shift()?.resolve(p));
      const fail = (err: Error): void => {
        this.failure ??= err;
        for (const w of waiting.splice(0)) w.reject(err);
      };
      worker.on('error', (err) =>
        fail(new OtelAuditError('INTERNAL', `verify worker failed: ${err.message}`, { cause: err })),
      );
      worker.on('exit', (code) =>
        fail(new OtelAuditError('INTERNAL', `verify worker exited (code ${code})`)),
      );
      this.workers.push(worker);
      this.waiting.push(waiting);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  submit(batch: PayloadBatch): Promise<PackedFacts> {
    if (this.failure) return Promise.reject(this.failure);
    const i = this.next++ % this.workers.length;
    return new Promise<PackedFacts>((resolve, reject) => {
      (this.waiting[i] as (typeof this.waiting)[number]).push({ resolve, reject });
      (this.workers[i] as Worker).postMessage(batch, [batch.bytes, batch.spans.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
