/**
 * A hostile WAL record payload for tests: a version-1 payload (walCodec.ts)
 * whose one LogRecord holds `attributes` empty KeyValues — two bytes each on
 * the wire (field 6, length 0), ~60 bytes of heap each once decoded. With
 * `unknownField`, the LogRecord ends with a field the schema does not know
 * (field 100, a varint): decoding skips it, but the wire-level projection
 * (canonical/wireProjection.ts, which needs no memory per element) declines
 * it, so the payload is decoded.
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

export function hostileRecordPayload(attributes: number, unknownField = false): Uint8Array {
  const logRecord = new Uint8Array(2 * attributes + (unknownField ? 3 : 0));
  for (let i = 0; i < attributes; i++) logRecord[2 * i] = 0x32; // LogRecord.attributes (6), length 0
  if (unknownField) logRecord.set([0xa0, 0x06, 0x01], 2 * attributes); // field 100, varint 1
  // LogsData.resource_logs (1) → ResourceLogs.scope_logs (2) → ScopeLogs.log_records (2)
  const logsData = field(0x0a, field(0x12, field(0x12, logRecord)));
  const payload = new Uint8Array(1 + logsData.length);
  payload[0] = RECORD_ENCODING_VERSION;
  payload.set(logsData, 1);
  return payload;
}

/**
 * `payload` (a version-1 payload as encodeRecord writes it) with a field the schema does not know
 * (field 100, a varint) at the end of its LogRecord: the same record to the decoder, but one the
 * wire-level projection leaves to decoding.
 */
export function withUnknownLogRecordField(payload: Uint8Array): Uint8Array {
  const framed = (bytes: Uint8Array, path: readonly number[]): Uint8Array => {
    if (path.length === 0) return Uint8Array.from([...bytes, 0xa0, 0x06, 0x01]);
    const parts: Uint8Array[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const tag = bytes[pos++] as number;
      let length = 0;
      for (let shift = 1; ; shift *= 128) {
        const b = bytes[pos++] as number;
        length += (b & 0x7f) * shift;
        if (b < 0x80) break;
      }
      const body = bytes.subarray(pos, pos + length);
      pos += length;
      parts.push(field(tag, tag === path[0] ? framed(body, path.slice(1)) : body));
    }
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  };
  // LogsData.resource_logs (0x0a) → ResourceLogs.scope_logs (0x12) → ScopeLogs.log_records (0x12)
  return Uint8Array.from([payload[0] as number, ...framed(payload.subarray(1), [0x0a, 0x12, 0x12])]);
}
