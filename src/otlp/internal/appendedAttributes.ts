/**
 * The attributes appended to a record whose wire bytes are reused (the
 * receiver's client stamp: writeWireLogRecord.ts), written as a copy of the
 * bytes last written for the same entries when they are the same: every
 * record of a request, and usually of a connection, gets the same stamp, and
 * encoding its 2-3 strings again for each record was ~4% of the durable
 * OTLP/HTTP server's CPU (cpu-prof of the receiver benchmark). Only entries
 * whose keys and values are all strings are remembered: strings are
 * immutable, so equal keys and values are equal bytes (and the bytes passed
 * the writer's checks when they were written).
 */
import type { KeyValue } from '../../record/AnyValue.ts';
import type { EncodeBuffer } from './encodeBuffer.ts';
import { writeLogRecordAttributesFrom } from './encodeLogRecord.ts';

interface Remembered {
  readonly keys: readonly string[];
  readonly values: readonly string[];
  readonly bytes: Buffer;
}

let remembered: Remembered | undefined;

/** LogRecord attributes (field 6) from entry `from` of `list` on. */
export function writeAppendedAttributes(w: EncodeBuffer, list: readonly KeyValue[], from: number): void {
  const n = list.length - from;
  if (n <= 0) return;
  const r = remembered;
  if (r !== undefined && r.keys.length === n && sameEntries(list, from, r)) {
    w.raw(r.bytes);
    return;
  }
  const start = w.pos - w.base; // relative: the writer may move the payload to another chunk
  writeLogRecordAttributesFrom(w, list, from);
  remember(list, from, w.buf.subarray(w.base + start, w.pos));
}

function sameEntries(list: readonly KeyValue[], from: number, r: Remembered): boolean {
  for (let i = 0; i < r.keys.length; i++) {
    const kv = list[from + i];
    if (typeof kv !== 'object' || kv === null || kv.key !== r.keys[i] || kv.value !== r.values[i])
      return false;
  }
  return true;
}

function remember(list: readonly KeyValue[], from: number, written: Uint8Array): void {
  const keys: string[] = [];
  const values: string[] = [];
  for (let i = from; i < list.length; i++) {
    const { key, value } = list[i] as KeyValue;
    if (typeof key !== 'string' || typeof value !== 'string') return;
    keys.push(key);
    values.push(value);
  }
  remembered = { keys, values, bytes: Buffer.from(written) };
}
