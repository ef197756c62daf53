/**
 * The bytes around a single-record payload's LogRecord that depend only on
 * the prefix byte and the resource / scope parts, laid out once for the usual
 * case where each of the three lengths (ResourceLogs, ScopeLogs, LogRecord)
 * is a 2-byte varint (a LogRecord of 128 B to ~16 KiB):
 *
 *   before = prefix 0a [RL RL] <resource head> 12 [SL SL] <scope head> 12 [LR LR]
 *   after  = <scope schema_url> <resource schema_url>
 *
 * A payload's framing is then one copy of `before` with its three lengths
 * patched in, instead of two copies of the heads, three tags and three
 * varints written one by one, and `after` one copy (none when both schema
 * URLs are empty) instead of two. Each copy into a Buffer is a native call of
 * ~40 ns whatever its size up to a few hundred bytes (measured on this VM:
 * Buffer#copy, TypedArray#set and set of a subarray alike), which made the
 * framing about a fifth of a wire-reused payload's cost.
 */
import type { EncodedParts } from './encodeParts.ts';

export interface FramingTemplate {
  readonly prefix: number;
  readonly rp: EncodedParts;
  readonly sp: EncodedParts;
  /** The bytes before the LogRecord's content, lengths as zeros. */
  readonly before: Buffer;
  /** Offsets in `before` of the 2-byte ResourceLogs, ScopeLogs and LogRecord lengths. */
  readonly resourceLogsAt: number;
  readonly scopeLogsAt: number;
  readonly logRecordAt: number;
  /** The bytes after the LogRecord's content (the scope's then the resource's schema_url field), maybe empty. */
  readonly after: Buffer;
}

/** Lengths below this take exactly 2 varint bytes, which is what the template holds room for. */
export const TEMPLATE_LENGTH_MIN = 0x80;
export const TEMPLATE_LENGTH_MAX = 0x3fff;

let last: FramingTemplate | undefined;

/** The template for these parts (the last one is kept: records of a request share their parts). */
export function framingTemplate(prefix: number, rp: EncodedParts, sp: EncodedParts): FramingTemplate {
  const t = last;
  if (t !== undefined && t.rp === rp && t.sp === sp && t.prefix === prefix) return t;
  const made = makeTemplate(prefix, rp, sp);
  last = made;
  return made;
}

function makeTemplate(prefix: number, rp: EncodedParts, sp: EncodedParts): FramingTemplate {
  const before = Buffer.alloc(1 + 3 + rp.head.length + 3 + sp.head.length + 3);
  let p = 0;
  before[p++] = prefix;
  before[p++] = 0x0a;
  const resourceLogsAt = p;
  p += 2;
  before.set(rp.head, p);
  p += rp.head.length;
  before[p++] = 0x12;
  const scopeLogsAt = p;
  p += 2;
  before.set(sp.head, p);
  p += sp.head.length;
  before[p++] = 0x12;
  const logRecordAt = p;
  const after = Buffer.concat([sp.schema, rp.schema]);
  return { prefix, rp, sp, before, resourceLogsAt, scopeLogsAt, logRecordAt, after };
}

/** Writes `n` (TEMPLATE_LENGTH_MIN <= n <= TEMPLATE_LENGTH_MAX) as a 2-byte varint at `at`. */
export function patchLength(buf: Buffer, at: number, n: number): void {
  buf[at] = (n & 0x7f) | 0x80;
  buf[at + 1] = n >>> 7;
}
