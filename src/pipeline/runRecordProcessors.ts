/**
 * Runs a pipeline's processors over a batch, record by record. A record is
 * refused on its own — the other records of the batch go on — when a
 * processor throws a `PermanentError` for it (e.g. `filter` with
 * `error_mode: propagate`) or an error that is not an `OtelAuditError` at all
 * (a bug: wrapped in `ProcessorFailedError`, naming the processor and the
 * record). Any other typed error (retryable, or a service problem such as a
 * key store that cannot be read) fails the whole batch: the sender keeps it
 * and retries.
 */
import { OtelAuditError } from '../errors.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { auditRecordView } from '../record/AuditRecordView.ts';
import { forgetWire } from '../record/recordWire.ts';
import { PermanentError } from './consumer.ts';
import { ProcessorFailedError } from './ProcessorFailedError.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import type { RejectedRecord } from './RecordsRejectedError.ts';

export interface ProcessedRecords {
  /** Records kept, in order. */
  readonly kept: AuditRecord[];
  /** Records refused, in order (empty when none). */
  readonly rejected: readonly RejectedRecord[];
  /**
   * `keptPositions[k]` is the position in the input of `kept[k]`; undefined when every record was kept
   * (the same positions). Counted here, not matched by object afterwards: the same record object may
   * appear twice in a batch (an SDK caller emitting one object twice), and a processor may keep one
   * occurrence and drop the other.
   */
  readonly keptPositions?: readonly number[];
}

const NONE: readonly RejectedRecord[] = Object.freeze([]);

/** Applies processors in order to each record; `processorIds[i]` names `processors[i]` in errors. */
export function processRecords(
  records: AuditRecord[],
  processors: readonly RecordProcessor[],
  processorIds: readonly string[] = [],
): ProcessedRecords {
  if (processors.length === 0) return { kept: records, rejected: NONE };
  // A processor that may change records: their wire bytes (recordWire.ts) go before any processor runs.
  const changesContent = processors.some((p) => p.preservesContent !== true);
  const kept: AuditRecord[] = [];
  // The kept records' places, made only once a record is not kept (until then `kept[k]` is record k):
  // a batch every record of which is kept pays nothing for them.
  let positions: number[] | undefined;
  let rejected: RejectedRecord[] | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as AuditRecord;
    if (changesContent) forgetWire(record);
    const view = auditRecordView(record);
    let j = 0;
    try {
      for (; j < processors.length; j++) if (!(processors[j] as RecordProcessor).process(view)) break;
    } catch (err) {
      (rejected ??= []).push({ index: i, error: refusal(err, processorIds[j] ?? `#${j}`, i) });
      positions ??= kept.map((_, k) => k);
      continue;
    }
    if (j === processors.length) {
      kept.push(record);
      positions?.push(i);
    } else positions ??= kept.map((_, k) => k);
  }
  return positions === undefined
    ? { kept, rejected: rejected ?? NONE }
    : { kept, rejected: rejected ?? NONE, keptPositions: positions };
}

/** The record's own refusal, or rethrows an error that is the batch's (retryable or a service problem). */
function refusal(err: unknown, processorId: string, recordIndex: number): PermanentError {
  if (err instanceof PermanentError) return err;
  if (err instanceof OtelAuditError) throw err;
  return new ProcessorFailedError({ processorId, recordIndex, cause: err });
}

/**
 * Applies processors in order to each record; returns the records that were kept (in order). Throws
 * the first record's refusal (the whole batch refused): use `processRecords` to keep the others.
 */
export function runRecordProcessors(
  records: AuditRecord[],
  processors: readonly RecordProcessor[],
  processorIds: readonly string[] = [],
): AuditRecord[] {
  const { kept, rejected } = processRecords(records, processors, processorIds);
  if (rejected[0]) throw rejected[0].error;
  return kept;
}

/**
 * Calls every processor's `flushBeforeExport` (RecordProcessor.ts); undefined when none has anything
 * pending, so a runner with nothing to wait for hands the batch on synchronously, as before.
 */
export function flushBeforeExport(processors: readonly RecordProcessor[]): Promise<void> | undefined {
  let waits: Promise<void>[] | undefined;
  try {
    for (const p of processors) {
      const w = p.flushBeforeExport?.();
      if (w !== undefined) (waits ??= []).push(w);
    }
  } catch (err) {
    // The throw fails the batch; the earlier processors' promises reach nobody now, so their later
    // failure must not become an unhandled rejection (fatal under Node's default). Their processors keep
    // that work pending and redo it in a later flush.
    for (const w of waits ?? []) w.catch(() => undefined);
    throw err;
  }
  if (waits === undefined) return undefined;
  return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
}

/** `flushBeforeExport`, blocking: every processor's `flushBeforeExportSync`. */
export function flushBeforeExportSync(processors: readonly RecordProcessor[]): void {
  for (const p of processors) p.flushBeforeExportSync?.();
}
