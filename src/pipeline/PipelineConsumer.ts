/**
 * One `service::pipelines::logs[/name]`: processors in order, then (once what
 * the records depend on is durable: `RecordProcessor.flushBeforeExport`)
 * fan-out to every exporter. The batch is acknowledged when every exporter has it.
 * Records a processor refuses are refused on their own: the rest of the batch
 * is written, then `RecordsRejectedError` reports the refused ones.
 */
import { OtelAuditError } from '../errors.ts';
import { isDataError, isRetryable, type LogBatch, type LogsConsumer } from './consumer.ts';
import { ExporterFailedError, typedExporterError } from './ExporterFailedError.ts';
import type { LogsExporter } from './factories.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { RecordsRejectedError, type RejectedRecord } from './RecordsRejectedError.ts';
import { flushBeforeExport, processRecords } from './runRecordProcessors.ts';

export class PipelineConsumer implements LogsConsumer {
  readonly id: string;
  private readonly processors: readonly RecordProcessor[];
  private readonly exporters: readonly LogsExporter[];
  private readonly processorIds: readonly string[];
  private readonly exporterIds: readonly string[];
  private readonly onExporterBug: ((err: ExporterFailedError) => void) | undefined;

  constructor(
    id: string,
    processors: readonly RecordProcessor[],
    exporters: readonly LogsExporter[],
    /** `processorIds[i]` names `processors[i]` in errors. */
    processorIds: readonly string[] = [],
    /** `exporterIds[i]` names `exporters[i]` in errors. */
    exporterIds: readonly string[] = [],
    /**
     * Told of every untyped exporter failure (a bug) as it is turned into `ExporterFailedError`: the
     * sender only sees it in its answer's message, so the service logs it here.
     */
    onExporterBug?: (err: ExporterFailedError) => void,
  ) {
    this.id = id;
    this.onExporterBug = onExporterBug;
    this.processors = processors;
    this.exporters = exporters;
    this.processorIds = processorIds;
    this.exporterIds = exporterIds;
  }

  /**
   * Not `async`: what waits for the exporters holds counts and positions, not the batch, so the records
   * can be collected while the exporters' writes are in flight (the last holder, AuditWalExporter, has
   * framed them by then).
   */
  consumeLogs(batch: LogBatch): Promise<void> {
    let kept: AuditRecord[];
    let rejected: readonly RejectedRecord[];
    let positions: readonly number[] | undefined;
    try {
      ({
        kept,
        rejected,
        keptPositions: positions,
      } = processRecords(batch.records, this.processors, this.processorIds));
    } catch (err) {
      return Promise.reject(err);
    }
    const counts = { total: batch.records.length, rejected, kept: kept.length };
    if (kept.length === 0) return this.settle(undefined, counts, undefined);
    // `positions`: the kept records' places in the batch, for an exporter's refusals (its indices are
    // positions in `kept`); undefined when every record was kept (the same positions).
    const out: LogBatch = batch.client ? { records: kept, client: batch.client } : { records: kept };
    // What the kept records depend on (new data keys) is durable before any exporter gets them.
    let pending: Promise<void> | undefined;
    try {
      pending = flushBeforeExport(this.processors);
    } catch (err) {
      return Promise.reject(err);
    }
    // A failed flush is the processors' and goes out as it is (no exporter ran): marked so that settle
    // does not type it as an exporter's failure (an untyped one would become a non-retryable
    // ExporterFailedError blaming exporter 0, and the sender would drop the batch).
    const exported =
      pending === undefined
        ? this.exportAll(out)
        : pending.then(
            () => this.exportAll(out),
            (err: unknown) => Promise.reject(new FlushFailed(err)),
          );
    return this.settle(exported, counts, positions);
  }

  /** Every exporter's write of `out`; a synchronous throw becomes a rejection. */
  private exportAll(out: LogBatch): Promise<void> {
    try {
      // One exporter: called directly (its untyped failure is typed in settle, nothing added on success).
      if (this.exporters.length === 1) return (this.exporters[0] as LogsExporter).consumeLogs(out);
      return settleAll(this.exporters.map((_, i) => this.export(i, out)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async settle(
    exported: Promise<void> | undefined,
    counts: { readonly total: number; readonly rejected: readonly RejectedRecord[]; readonly kept: number },
    positions: readonly number[] | undefined,
  ): Promise<void> {
    const { total, rejected } = counts;
    let refused: readonly RejectedRecord[] = rejected;
    if (exported !== undefined) {
      try {
        await exported;
      } catch (err) {
        if (err instanceof FlushFailed) throw err.failure;
        // An exporter refused some records on their own (e.g. over payload_bytes_max): its indices are
        // positions in `kept`; report them as positions in the batch, with the processors' refusals.
        if (!(err instanceof RecordsRejectedError)) throw this.typed(err, 0);
        const inBatch = err.rejected.map((r) => ({ index: positions?.[r.index] ?? r.index, error: r.error }));
        refused = mergeRejected(rejected, inBatch);
      }
    }
    if (refused.length > 0) {
      const acceptedCount = total - refused.length;
      const droppedCount = total - rejected.length - counts.kept;
      throw new RecordsRejectedError({ rejected: refused, acceptedCount, droppedCount });
    }
  }

  /**
   * Exporter `i`'s write; an untyped failure (a bug) becomes `ExporterFailedError` naming the exporter,
   * before `settleAll` ranks it (untyped, it would count as retryable).
   */
  private async export(i: number, batch: LogBatch): Promise<void> {
    try {
      await (this.exporters[i] as LogsExporter).consumeLogs(batch);
    } catch (err) {
      throw this.typed(err, i);
    }
  }

  /** Exporter `i`'s failure as it leaves the pipeline (`typedExporterError`); a bug is reported. */
  private typed(err: unknown, i: number): OtelAuditError {
    const typed = typedExporterError(err, this.exporterIds[i] ?? `#${i}`);
    if (typed !== err && typed instanceof ExporterFailedError) this.onExporterBug?.(typed);
    return typed;
  }
}

/** A processor's `flushBeforeExport` failure on its way to `settle` (not an exporter's: left untyped). */
class FlushFailed {
  readonly failure: unknown;
  constructor(failure: unknown) {
    this.failure = failure;
  }
}

/** The refusals of `a` and `b` together, by position in the batch. */
function mergeRejected(a: readonly RejectedRecord[], b: readonly RejectedRecord[]): RejectedRecord[] {
  return [...a, ...b].sort((x, y) => x.index - y.index);
}

/** Feeds one batch to several pipelines; each but the last gets its own copy (processors change records). */
export class FanOutConsumer implements LogsConsumer {
  private readonly targets: readonly LogsConsumer[];

  constructor(targets: readonly LogsConsumer[]) {
    this.targets = targets;
  }

  /** Not `async`, as PipelineConsumer.consumeLogs: nothing here holds the records while they are written. */
  consumeLogs(batch: LogBatch): Promise<void> {
    const n = this.targets.length;
    try {
      return settleAll(
        this.targets.map((t, i) =>
          t.consumeLogs(i === n - 1 ? batch : { ...batch, records: structuredClone(batch.records) }),
        ),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * Waits for every consumer (an early permanent error must not answer the sender while another
 * consumer's write can still fail retryably); then throws the refusal that keeps the most records,
 * in this order of precedence:
 * 1. a retryable error (a full queue or disk, a closed WAL): the sender keeps and resends everything
 *    (records another consumer stored are stored again: at-least-once, docs/guarantees.md);
 * 2. a typed error that is not retryable but not about the data either (a component not started, a
 *    corrupt key store): the service's problem, which the receiver answers retryably too;
 * 3. an `INTERNAL` error (a bug, e.g. `ExporterFailedError`): not retried, but not the data's fault;
 * 4. a refusal of the whole batch for its data (malformed, over a configured limit);
 * 5. the union of the records refused on their own by any consumer (a record is durable only if no
 *    consumer refused it).
 * A data refusal (4) used to win over a service error (2) that came after it in `work`: the sender was
 * told to drop a batch that a retry could have stored.
 */
export async function settleAll(work: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  let chosen: unknown;
  let chosenRank = REFUSED_RECORDS + 1;
  let partial: RecordsRejectedError[] | undefined;
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    const err = r.reason as unknown;
    const rank = refusalRank(err);
    if (rank === REFUSED_RECORDS) (partial ??= []).push(err as RecordsRejectedError);
    if (rank < chosenRank) [chosen, chosenRank] = [err, rank];
  }
  if (chosenRank < REFUSED_RECORDS) throw chosen;
  if (partial === undefined) return;
  if (partial.length === 1) throw partial[0];
  const byIndex = new Map<number, RejectedRecord>();
  for (const e of partial) for (const r of e.rejected) if (!byIndex.has(r.index)) byIndex.set(r.index, r);
  const total =
    (partial[0] as RecordsRejectedError).acceptedCount + (partial[0] as RecordsRejectedError).rejectedCount;
  // Each pipeline dropped its own records: which accepted records are durable where is not one number.
  const droppedUnknown = partial.some((e) => e.droppedCount !== 0);
  throw new RecordsRejectedError({
    rejected: [...byIndex.values()].sort((a, b) => a.index - b.index),
    acceptedCount: total - byIndex.size,
    droppedUnknown,
  });
}

const REFUSED_RECORDS = 4;

/** Its place in `settleAll`'s order, 0-based: 0 retryable ... 4 records refused on their own. */
function refusalRank(err: unknown): number {
  if (isRetryable(err)) return 0;
  if (err instanceof RecordsRejectedError) return REFUSED_RECORDS;
  if (isDataError(err)) return 3;
  if (err instanceof OtelAuditError && err.code === 'INTERNAL') return 2;
  return 1;
}
