import type { AuditRecord } from '../record/AuditRecord.ts';
import { auditRecordView } from '../record/AuditRecordView.ts';
import type { RecordProcessor } from './RecordProcessor.ts';

/** Applies processors in order to each record; returns the records that were kept (in order). */
export function runRecordProcessors(
  records: AuditRecord[],
  processors: readonly RecordProcessor[],
): AuditRecord[] {
  if (processors.length === 0) return records;
  const kept: AuditRecord[] = [];
  for (const record of records) {
    const view = auditRecordView(record);
    let keep = true;
    for (const p of processors) {
      if (!p.process(view)) {
        keep = false;
        break;
      }
    }
    if (keep) kept.push(record);
  }
  return kept;
}
