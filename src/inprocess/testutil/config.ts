/** Shared by the in-process tests: a one-pipeline configuration (audit_sdk -> audit_wal) and what its WAL stored. */
import { decodeRecord } from '../../record/walCodec.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';

/** `walExtra`: lines added under `exporters::audit_wal` (indented by four spaces). */
export function inProcessConfig(dir: string, walExtra = ''): string {
  return `
receivers:
  audit_sdk:
exporters:
  audit_wal:
    directory: ${dir}
${walExtra}
service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      exporters: [audit_wal]
`;
}

/** A WAL whose `payload_bytes_max` (400) a 500-byte body exceeds, so the record fails alone. */
export const SMALL_PAYLOAD_WAL =
  '    payload_bytes_max: 400\n    segment_bytes_max: 65536\n    queue_bytes_max: 65536';

/** The records stored in the WAL at `dir`, in order. */
export function storedRecords(dir: string) {
  return [...openWalReadOnly({ dir }).reader.records()].map((r) => decodeRecord(r.payload));
}
