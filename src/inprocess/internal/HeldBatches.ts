/**
 * Batches that wait, in emit order, for what their records depend on
 * (`RecordProcessor.flushBeforeExport`, e.g. `audit_encrypt`'s new data keys)
 * before they may reach an exporter, or that wait behind such a batch. Kept
 * in a queue rather than a promise chain so that a synchronous commit can hand
 * them down at once: a producer that never yields never runs a promise
 * continuation. Counts their records and (an upper bound of) their bytes,
 * which the synchronous commit's bounds include.
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { recordPayloadBytesUpperBound } from '../../record/payloadBytesBound.ts';

/** One held batch. `flushing`: its flush has not settled; `ready`: it may go down once it is first. */
export interface HeldBatch {
  readonly records: AuditRecord[];
  /** Upper bound of its records' payload bytes (0 when bytes are not counted). */
  readonly bytes: number;
  state: 'flushing' | 'ready' | 'failed';
  error: unknown;
}

/** Hands a batch that left the queue down (`ready`) or fails it (`failed`); its records' errors. */
export type ReleaseBatch = (batch: HeldBatch) => Promise<unknown[]>;

export class HeldBatches {
  private readonly queue: Array<{
    readonly batch: HeldBatch;
    readonly start: (sent: Promise<unknown[]>) => void;
  }> = [];
  private readonly release: ReleaseBatch;
  private readonly countBytes: boolean;
  /** Records in the queue. */
  records = 0;
  /** Upper bound of the queue's payload bytes (0 unless `countBytes`). */
  bytes = 0;

  /** `countBytes`: compute each batch's byte bound (only where a byte bound applies: it walks every record). */
  constructor(release: ReleaseBatch, countBytes: boolean) {
    this.release = release;
    this.countBytes = countBytes;
  }

  get empty(): boolean {
    return this.queue.length === 0;
  }

  /**
   * Queues `records` behind the batches held already; `flush` is their own pending work (undefined:
   * nothing pending, the batch only waits its turn). Resolves with the records' errors once released.
   */
  hold(records: AuditRecord[], flush: Promise<void> | undefined): Promise<unknown[]> {
    return new Promise((start) => {
      const batch: HeldBatch = {
        records,
        bytes: this.countBytes ? payloadBytesBound(records) : 0,
        state: flush === undefined ? 'ready' : 'flushing',
        error: undefined,
      };
      this.queue.push({ batch, start });
      this.records += records.length;
      this.bytes += batch.bytes;
      flush?.then(
        () => this.flushed(batch, undefined),
        (err: unknown) =>
          this.flushed(batch, err ?? new Error('a processor flush failed without saying why')),
      );
    });
  }

  /** After a blocking flush, which covers the flushes in flight too: every held batch may go down. */
  allFlushed(): void {
    for (const { batch } of this.queue) if (batch.state === 'flushing') batch.state = 'ready';
    this.releaseSettled();
  }

  /** A batch's flush settled (ignored when a synchronous commit has already handed it down). */
  private flushed(batch: HeldBatch, error: unknown): void {
    if (batch.state !== 'flushing') return;
    batch.state = error === undefined ? 'ready' : 'failed';
    batch.error = error;
    this.releaseSettled();
  }

  /** Hands down (or fails) the batches at the front whose flush has settled, in order. */
  private releaseSettled(): void {
    for (let e = this.queue[0]; e !== undefined && e.batch.state !== 'flushing'; e = this.queue[0]) {
      this.queue.shift();
      this.records -= e.batch.records.length;
      this.bytes -= e.batch.bytes;
      e.start(this.release(e.batch));
    }
  }
}

/**
 * What a held batch will take in a WAL's queue, at most: held records are in memory all the same, and
 * large ones reach the byte bound long before the record bound (1,024 records of 1 MiB held while a new
 * data key is made durable are 1 GiB). Computed only for held batches, which are rare (a first-seen
 * data subject); an upper bound, so a forced commit can only come early.
 */
function payloadBytesBound(records: readonly AuditRecord[]): number {
  let n = 0;
  for (const r of records) n += recordBoundOrZero(r);
  return n;
}

/**
 * 0 for a record the bound cannot be computed for: not a valid AuditRecord (`write(record)` takes
 * records from JavaScript callers), which the exporter refuses when its batch goes down. Throwing here
 * rejected the held batch's promise (its waiters never settled; an unhandled rejection), and a NaN
 * would have turned the byte bound off for good.
 */
function recordBoundOrZero(record: AuditRecord): number {
  try {
    const bytes = recordPayloadBytesUpperBound(record);
    return Number.isFinite(bytes) ? bytes : 0;
  } catch {
    return 0;
  }
}
