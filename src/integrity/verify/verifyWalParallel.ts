/**
 * `verifyWal` with the per-record work in worker threads. A record's
 * IntegrityHash depends only on its own bytes, so workers decode, project,
 * hash and leaf-hash batches of record payloads; the main thread reads the
 * WAL (CRC of each frame, once: see verifyWal.ts; a sealed segment that does
 * not match its footer makes it wait for the batches out, drop them and start
 * over with a full open), hands batches out round-robin, and feeds the
 * results back IN WAL ORDER to the same checks as `verifyWal`
 * (internal/WalVerification.ts): links, Merkle tree, checkpoints, signatures.
 * A checkpoint's own signature needs nothing before it: the workers check
 * it too, with the trusted keys (cloned into each), and the main thread uses
 * their answer (internal/checkpointSignature.ts).
 * The report is the same as `verifyWal`'s. Memory stays bounded whatever the
 * WAL holds: a batch ends at `batchRecords` records, `BATCH_BYTES` of record
 * and checkpoint payloads or `BATCH_ITEMS` frames and damage reports (a WAL
 * of checkpoints alone is handed on too); at most `IN_FLIGHT_PER_WORKER`
 * batches per worker, and at most `IN_FLIGHT_PER_WORKER * BATCH_BYTES` per
 * worker of payloads, are out at any time (a single frame larger than that,
 * up to the WAL's frame limit, is out alone), and reading waits for the oldest.
 *
 * Hostile frames: workers decode within `recordElementsMax` (a record beyond
 * it is `unverifiable`) and run with a heap limit (`workerHeapMb`, derived
 * from that budget). A worker that dies anyway (out of memory) does not end
 * verification: the records of the batches it held are reported
 * `unverifiable`, naming their WAL seqs and why, and a new worker takes its
 * place (at most `WORKER_RESPAWNS_MAX` times; then verify fails as before).
 *
 * At the end the workers are asked to stop (no more batches) and exit on
 * their own once they have answered what they hold; `Worker.terminate` is
 * only the fallback for one still running `workerStopGraceMs` later.
 * Ending a thread from outside, possibly while it is still loading its
 * modules (a fresh replacement) or mid-batch, is the riskier teardown path
 * (see internal/verifyWorker.ts for what the workers must not load).
 */
import os from 'node:os';
import { TIMER_MS_MAX } from '../../../config/duration.ts';
import { OtelAuditError } from '../../errors.ts';
import { FrameType } from '../../wal/format.ts';
import { WalSealedMismatchError } from '../../wal/readOnly.ts';
import type { ReadDamage } from '../../wal/WalReader.ts';
import {
  checkRecordElementsMax,
  decodeForVerify,
  RECORD_ELEMENTS_MAX_DEFAULT,
} from './internal/decodeForVerify.ts';
import { KeyRing } from '../sign/KeyRing.ts';
import { keyEntries } from './internal/checkpointSignature.ts';
import { FactsReader, packFacts, type PackedFacts, type PayloadBatch } from './internal/factsBatch.ts';
import { WorkerDiedError, WorkerPool } from './internal/WorkerPool.ts';
import { beginVerification, type Verification } from './internal/WalVerification.ts';
import type { VerifyReport } from './VerifyReport.ts';
import { verifyWal, type VerifyOptions } from './verifyWal.ts';

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Worker threads; default `os.availableParallelism()`. 0 verifies in the calling thread (`verifyWal`). */
  readonly workers?: number;
  /** Records per batch handed to a worker; default `BATCH_RECORDS` (tests use small ones to cross batch edges). */
  readonly batchRecords?: number;
  /**
   * Heap limit of each worker (`resourceLimits.maxOldGenerationSizeMb`); default `workerHeapMbFor(recordElementsMax)`.
   * A worker beyond it dies and its records are reported `unverifiable`.
   */
  readonly workerHeapMb?: number;
  /**
   * How long the end of a verification waits for a worker to exit on its own once asked to stop before
   * terminating it; default `WORKER_STOP_GRACE_MS`, at most 2^31 - 1 (a timer's range).
   */
  readonly workerStopGraceMs?: number;
}

export { WORKER_RESPAWNS_MAX } from './internal/WorkerPool.ts';

/**
 * Default worker heap limit: 256 MiB plus ~400 bytes per element of a record at the budget (measured
 * peak while hashing a record of 2 Mi empty attributes: 581 MB, ~277 B per element); no limit when
 * the budget is unbounded.
 */
export function workerHeapMbFor(recordElementsMax: number): number | undefined {
  if (recordElementsMax === Infinity) return undefined;
  return 256 + Math.ceil((recordElementsMax * 400) / (1024 * 1024));
}

/**
 * How long the end of a verification waits for a worker to exit on its own once asked to stop, before
 * terminating it: an idle worker exits within milliseconds; one still answering batches (the end of a
 * failed verification) has at most `IN_FLIGHT_PER_WORKER` of them.
 */
export const WORKER_STOP_GRACE_MS = 10_000;

/** Records per batch (a batch also ends at `BATCH_BYTES` of payloads). */
export const BATCH_RECORDS = 1024;
export const BATCH_BYTES = 1024 * 1024;
/** Frames and damage reports per batch at most, whatever their kind. */
export const BATCH_ITEMS = 4 * BATCH_RECORDS;
/** Batches out per worker: enough to keep it busy while the main thread checks the previous one. */
export const IN_FLIGHT_PER_WORKER = 4;
/** Worker threads at most, whatever is asked. */
export const WORKERS_MAX = 64;

/** One frame or one reader damage report, in reading order. */
type Item =
  | { readonly seq: number; readonly type: number; readonly record: number; readonly checkpoint?: Uint8Array }
  | { readonly damage: ReadDamage };

interface Outstanding {
  readonly id: number;
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
  const recordElementsMax = checkRecordElementsMax(o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
  const heapMb = o.workerHeapMb ?? workerHeapMbFor(recordElementsMax);
  if (heapMb !== undefined && !(Number.isSafeInteger(heapMb) && heapMb >= 1)) {
    throw new OtelAuditError('INVALID_ARGUMENT', `workerHeapMb must be an integer >= 1, got ${heapMb}`);
  }
  const graceMs = o.workerStopGraceMs ?? WORKER_STOP_GRACE_MS;
  // At most a timer's range: beyond it Node fires the timer after 1 ms (every worker terminated at once).
  if (!(graceMs >= 0 && graceMs <= TIMER_MS_MAX)) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `workerStopGraceMs must be a number from 0 to ${TIMER_MS_MAX}, got ${graceMs}`,
    );
  }
  // A KeyRing subclass (its own verify: a policy, revocation, a hardware key) is used as it is, in this
  // thread: the workers could only rebuild a plain ring from its keys.
  const plainRing = o.keys === undefined || Object.getPrototypeOf(o.keys) === KeyRing.prototype;
  const keys = o.keys === undefined || !plainRing ? [] : keyEntries(o.keys);
  const pool = new WorkerPool(
    Math.min(workers, WORKERS_MAX),
    { recordElementsMax, keys, checkSignatures: plainRing },
    heapMb,
  );
  try {
    try {
      return await run(o, pool, recordElementsMax, 'once');
    } catch (err) {
      // A sealed segment is damaged: start over with an open that walks every segment and classifies it.
      if (!(err instanceof WalSealedMismatchError)) throw err;
      return await run(o, pool, recordElementsMax, 'full', err);
    }
  } finally {
    await pool.close(graceMs);
  }
}

async function run(
  o: ParallelVerifyOptions,
  pool: WorkerPool,
  recordElementsMax: number,
  walVerify: 'once' | 'full',
  /** With `full`: what the `once` run met (reported if the `full` open does not explain it). */
  onceMismatch?: WalSealedMismatchError,
): Promise<VerifyReport> {
  let items: Item[] = [];
  let spans: number[] = [];
  /** The checkpoint payloads of `items`, for the worker to check their signatures. */
  let checkpoints: Uint8Array[] = [];
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
  const v = beginVerification(o, walVerify, onceMismatch);

  const dispatch = (): void => {
    // The buffer moves to the worker (transferred, not copied); the next batch gets a new one.
    const batch: PayloadBatch = {
      id: nextId++,
      bytes: bytes.buffer as ArrayBuffer,
      spans: Uint32Array.from(spans),
      checkpoints,
    };
    const held = bytes.length + checkpointBytes;
    const result = pool.submit(batch);
    result.catch(() => undefined); // awaited in order by drainOne; a later one may fail first
    queue.push({ id: batch.id, items, result, bytes: held });
    queuedBytes += held;
    items = [];
    spans = [];
    checkpoints = [];
    used = 0;
    checkpointBytes = 0;
    bytes = new Uint8Array(BATCH_BYTES);
  };
  const drainOne = async (): Promise<void> => {
    const next = queue.shift();
    if (next === undefined) return;
    queuedBytes -= next.bytes;
    let packed: PackedFacts;
    try {
      packed = await next.result;
    } catch (err) {
      if (!(err instanceof WorkerDiedError)) throw err;
      packed = unverifiedBatch(next.id, next.items, err.reason);
    }
    if (packed.id !== next.id) {
      throw new OtelAuditError('INTERNAL', `verify worker answered batch ${packed.id} for batch ${next.id}`);
    }
    apply(v, next.items, packed, recordElementsMax);
  };

  try {
    await readAll();
  } catch (err) {
    // The caller starts over: nothing of this run is used, but the batches out are awaited so that the next
    // run starts with idle workers (and its in-flight bounds hold).
    if (err instanceof WalSealedMismatchError) await Promise.allSettled(queue.map((q) => q.result));
    throw err;
  }
  while (queue.length > 0) await drainOne();
  return v.finish();

  async function readAll(): Promise<void> {
    // Payloads are views of the reader's buffer: each is copied below before the next frame is read.
    const frames = v.reader.records({
      onDamage: (damage) => void items.push({ damage }),
      copyPayloads: false,
    });
    for (const f of frames) {
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
        const checkpoint = Uint8Array.from(f.payload);
        items.push({ seq: f.seq, type: f.type, record: -1, checkpoint });
        checkpoints.push(checkpoint);
        checkpointBytes += f.payload.length;
      } else items.push({ seq: f.seq, type: f.type, record: -1 });
      if (items.length >= batchItems || checkpointBytes + used >= BATCH_BYTES) dispatch();
      while (queue.length >= inFlightMax || (queue.length > 0 && queuedBytes > inFlightBytesMax)) {
        await drainOne();
      }
    }
    if (items.length > 0) dispatch();
  }
}

/** The facts of a batch whose worker died before answering: every record `unverifiable`, saying why. */
function unverifiedBatch(id: number, items: readonly Item[], reason: string): PackedFacts {
  const seqs = items.flatMap((i) => ('damage' in i || i.record < 0 ? [] : [i.seq]));
  const at = seqs.length === 1 ? `${seqs[0]}` : `${seqs[0]}..${seqs[seqs.length - 1]}`;
  const message = `not verified: the worker thread checking the ${seqs.length === 1 ? 'record' : `${seqs.length} records`} at WAL seq ${at} ${reason}`;
  const batch: PayloadBatch = { id, bytes: new ArrayBuffer(0), spans: new Uint32Array(2 * seqs.length) };
  return packFacts(batch, () => ({ kind: 'unverifiable', message }));
}

/** Feeds one batch's frames, damage reports and record facts to the checks, in reading order. */
function apply(
  v: Verification,
  items: readonly Item[],
  packed: PackedFacts,
  recordElementsMax: number,
): void {
  const facts = new FactsReader(packed);
  const payloads = new Uint8Array(packed.bytes);
  let checkpoints = 0;
  for (const item of items) {
    if ('damage' in item) {
      v.onDamage(item.damage);
      continue;
    }
    v.frame(item.seq);
    if (item.checkpoint !== undefined) {
      v.checkpoint(item.seq, item.checkpoint, packed.checkpointSignatures?.[checkpoints++]);
    } else if (item.record >= 0) {
      const r = item.record;
      v.record(item.seq, facts.read(r), () => {
        const offset = packed.spans[2 * r] as number;
        const payload = payloads.subarray(offset, offset + (packed.spans[2 * r + 1] as number));
        return decodeForVerify(payload, recordElementsMax);
      });
    }
  }
}
