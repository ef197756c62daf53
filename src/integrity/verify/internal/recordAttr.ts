import type { AuditRecord } from '../../../record/AuditRecord.ts';

/**
 * The value of the record's first attribute with `key`. The same as `attr` of chain/recoverChain.ts,
 * which the modules the verify worker threads run do not import: it loads src/wal/format.ts and with it
 * the native @node-rs/crc32 (see verifyWorker.ts).
 */
export function attr(record: AuditRecord, key: string): unknown {
  return record.attributes.find((kv) => kv.key === key)?.value;
}
