/**
 * Copying a string whose code units are all below 0x80 into a Buffer, one
 * byte per unit (Utf8JsonWriter's fast path for long strings JSON copies as
 * they are). The documented API is `buf.write(text, offset, length, 'latin1')`;
 * Buffer's own `latin1Write(text, offset, length)`, which it calls after
 * checking and normalizing its arguments, is undocumented but faster.
 * Measured (ns of CPU per `Utf8JsonWriter.quoted` call, bench-like ASCII text,
 * 1,000,000 calls x 21 rounds, the three writers interleaved in one process,
 * process.cpuUsage, Node 24.21, three runs, min / median): 110 units — direct
 * `latin1Write` 145-150 / 152-211, through this check 144-149 / 156-183,
 * `write(..., 'latin1')` 155-161 / 162-222; 250 units — 231-242 / 253-266,
 * 228-239 / 244-269, 242-253 / 269-287: the documented API costs ~11 ns more
 * per call (+7% at 110 units, +5% at 250), and this indirection nothing. So the
 * undocumented writer is used, but only after a
 * check at load that it exists and writes exactly what the documented API
 * writes (bytes, offset, returned length, nothing past the end); otherwise the
 * documented API is used. Both give the same bytes, so hashes do not depend on
 * which one runs.
 */

/** Copies `length` units of `text` (all below 0x80) to `buf` at `offset`. */
export type Latin1Copy = (buf: Buffer, text: string, offset: number, length: number) => void;

interface Latin1Writer {
  latin1Write(text: string, offset: number, length: number): number;
}

/** The documented API. */
export const latin1CopyDocumented: Latin1Copy = (buf, text, offset, length) => {
  buf.write(text, offset, length, 'latin1');
};

/** Printable ASCII (longer than the fast path's minimum), including `~`, space and `!`. */
const PROBE = ' !#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const PROBE_OFFSET = 3;
const SENTINEL = 0xa5;

/**
 * `latin1Write` of `proto` (Buffer.prototype by default) when it exists and, on a probe, writes what
 * `latin1CopyDocumented` writes; else `latin1CopyDocumented`. Never throws.
 */
export function selectLatin1Copy(proto: object = Buffer.prototype): Latin1Copy {
  const native = (proto as Partial<Latin1Writer>).latin1Write;
  if (typeof native !== 'function') return latin1CopyDocumented;
  try {
    const size = PROBE_OFFSET + PROBE.length + 2;
    const got = Buffer.alloc(size, SENTINEL);
    const want = Buffer.alloc(size, SENTINEL);
    latin1CopyDocumented(want, PROBE, PROBE_OFFSET, PROBE.length);
    const written: unknown = native.call(got, PROBE, PROBE_OFFSET, PROBE.length);
    if (written !== PROBE.length || !got.equals(want)) return latin1CopyDocumented;
  } catch {
    return latin1CopyDocumented;
  }
  return (buf, text, offset, length) => {
    native.call(buf, text, offset, length);
  };
}
