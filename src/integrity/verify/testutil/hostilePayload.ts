/**
 * A hostile WAL record payload for tests: a version-1 payload (walCodec.ts)
 * whose one LogRecord holds `attributes` empty KeyValues — two bytes each on
 * the wire (field 6, length 0), ~60 bytes of heap each once decoded.
 */
import { RECORD_ENCODING_VERSION } from '../../../record/walCodec.ts';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: `tag` (field number << 3 | 2), the length, `body`. */
function field(tag: number, body: Uint8Array): Uint8Array {
  const head = [tag, ...varint(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

export function hostileRecordPayload(attributes: number): Uint8Array {
  const logRecord = new Uint8Array(2 * attributes);
  for (let i = 0; i < attributes; i++) logRecord[2 * i] = 0x32; // LogRecord.attributes (6), length 0
  // LogsData.resource_logs (1) → ResourceLogs.scope_logs (2) → ScopeLogs.log_records (2)
  const logsData = field(0x0a, field(0x12, field(0x12, logRecord)));
  const payload = new Uint8Array(1 + logsData.length);
  payload[0] = RECORD_ENCODING_VERSION;
  payload.set(logsData, 1);
  return payload;
}
