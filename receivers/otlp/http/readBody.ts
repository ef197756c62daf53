/**
 * Reads a request body, decompressing per `Content-Encoding`, and stops as
 * soon as either the wire bytes or the decompressed bytes pass the limit
 * (a gzip bomb is cut off after `limitBytes` of output, never inflated whole).
 */
import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { OtelAuditError } from '../../../src/errors.ts';

export class BodyTooLargeError extends OtelAuditError {
  constructor(limitBytes: number) {
    super(
      'DECODE_LIMIT',
      `request body exceeds max_request_body_size (${limitBytes} bytes, after decompression)`,
    );
  }
}

export class UnsupportedEncodingError extends OtelAuditError {
  constructor(encoding: string) {
    super(
      'OTLP_DECODE',
      `unsupported Content-Encoding "${encoding}"; supported: gzip, deflate, br, zstd, identity`,
    );
  }
}

/** The supported `Content-Encoding`s: a decompressor factory, or null for none. One table, so the two cannot drift. */
const DECOMPRESSORS: ReadonlyMap<string, (() => Transform) | null> = new Map<
  string,
  (() => Transform) | null
>([
  ['', null],
  ['identity', null],
  ['none', null],
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['zlib', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
  ['zstd', () => zlib.createZstdDecompress()],
]);

/** Whether `encoding` names a compression (true) or none (false); an unsupported one throws. */
function isCompressed(encoding: string): boolean {
  const d = DECOMPRESSORS.get(encoding);
  if (d === undefined) throw new UnsupportedEncodingError(encoding);
  return d !== null;
}

/** The decompressor of a compressed `encoding` (`isCompressed`). */
function decompressor(encoding: string): Transform {
  const d = DECOMPRESSORS.get(encoding);
  if (!d) throw new UnsupportedEncodingError(encoding);
  return d();
}

export class RequestReadTimeoutError extends OtelAuditError {
  constructor(readTimeoutMs: number) {
    super('OTLP_DECODE', `request body not received within read_timeout (${readTimeoutMs} ms)`);
  }
}

/**
 * The body of `req`, decompressed: at most `limitBytes` on the wire and after decompression. A
 * compressed body is read whole (its wire bytes bounded) and then decompressed: a decompressor that
 * stops before the end of its input (zstd after its first frame; deflate and brotli after their stream)
 * would otherwise leave the rest unread while the request is acknowledged. zstd frames are decoded one
 * after another (RFC 8878 §3.1: a body may hold several, and skippable ones); bytes left after the
 * stream of any other encoding are refused. `readTimeoutMs` (> 0): the body must arrive within it, also
 * while the server drains for shutdown (Node's own `requestTimeout` stops then); the socket is then
 * destroyed.
 */
export function readBody(req: IncomingMessage, limitBytes: number, readTimeoutMs = 0): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  // Checked before anything is read: an unknown encoding is refused at once (without making, and
  // dropping, a decompressor per request: zstd's and brotli's allocate their windows).
  const compressed = isCompressed(encoding);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes)
    return Promise.reject(new BodyTooLargeError(limitBytes));
  const wireBody = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      wire += chunk.length;
      if (wire > limitBytes) return fail(new BodyTooLargeError(limitBytes));
      chunks.push(chunk);
    };
    if (readTimeoutMs > 0) {
      timer = setTimeout(() => {
        fail(new RequestReadTimeoutError(readTimeoutMs));
        req.socket.destroy();
      }, readTimeoutMs);
      timer.unref();
    }
    req.on('data', onData);
    req.on('error', (err) => fail(err));
    req.on('aborted', () => fail(new OtelAuditError('OTLP_DECODE', 'request aborted by the client')));
    req.on('end', () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // Nothing of the read is kept past here (the listener's closure held the chunks through the decode
      // and the WAL's sync).
      req.off('data', onData);
      const body = Buffer.concat(chunks, wire);
      chunks.length = 0;
      resolve(body);
    });
  });
  return compressed ? wireBody.then((b) => decompressAll(encoding, b, limitBytes)) : wireBody;
}

/**
 * At most this many zstd decompressor runs for one body (skippable frames need none): a run decodes one
 * frame, or several consecutive ones when Node's decompressor goes on into the next (it does when a frame's
 * output ends on its 16 KiB output chunk), so a body of more frames than this may pass; what is bounded is
 * the cost: ~70 µs of the event loop per run, and 8-byte frames made a 20 MiB body minutes of CPU.
 * Encoders split large inputs into a few frames (`zstd -T0`: one per ~4 MiB job), nowhere near this.
 */
export const ZSTD_FRAMES_MAX = 256;

/** zstd skippable frames: magic 0x184D2A50..0x184D2A5F, a 4-byte size, that many bytes (RFC 8878 §3.1.2). */
function skippableFrameBytes(b: Buffer): number | undefined {
  if (b.length < 8 || (b.readUInt32LE(0) & 0xfffffff0) >>> 0 !== 0x184d2a50) return undefined;
  return 8 + b.readUInt32LE(4);
}

/** `input` decompressed per `encoding`, every zstd frame of it, at most `limitBytes` of output. */
async function decompressAll(encoding: string, input: Buffer, limitBytes: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let outBytes = 0;
  let rest = input;
  let frames = 0;
  for (;;) {
    if (encoding === 'zstd') {
      // Skippable frames are stepped over here, without a decompressor each.
      const skip = skippableFrameBytes(rest);
      if (skip !== undefined) {
        if (skip > rest.length) {
          throw new OtelAuditError(
            'OTLP_DECODE',
            'cannot decompress zstd body: a skippable frame is cut short',
          );
        }
        rest = rest.subarray(skip);
        if (rest.length === 0) break;
        continue;
      }
      if (++frames > ZSTD_FRAMES_MAX) {
        throw new OtelAuditError(
          'OTLP_DECODE',
          `cannot decompress zstd body: more than ${ZSTD_FRAMES_MAX} frames (decompressor runs)`,
        );
      }
    }
    const { chunks, bytes, consumed } = await decompressOne(
      encoding,
      rest,
      limitBytes - outBytes,
      limitBytes,
    );
    out.push(...chunks);
    outBytes += bytes;
    rest = rest.subarray(consumed);
    if (rest.length === 0) break;
    if (encoding !== 'zstd' || consumed === 0) {
      throw new OtelAuditError(
        'OTLP_DECODE',
        `cannot decompress ${encoding} body: ${rest.length} bytes after the end of the compressed data`,
      );
    }
  }
  return Buffer.concat(out, outBytes);
}

/** One run of a decompressor over `input`: its output (at most `limitBytes`) and the input bytes it consumed. */
function decompressOne(
  encoding: string,
  input: Buffer,
  limitBytes: number,
  configuredLimitBytes: number,
): Promise<{ chunks: Buffer[]; bytes: number; consumed: number }> {
  const d = decompressor(encoding) as Transform & { bytesWritten: number };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    d.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > limitBytes) {
        settled = true;
        d.destroy();
        reject(new BodyTooLargeError(configuredLimitBytes));
        return;
      }
      chunks.push(chunk);
    });
    d.on('error', (err: Error) => {
      if (settled) return;
      settled = true;
      reject(new OtelAuditError('OTLP_DECODE', `cannot decompress ${encoding} body: ${err.message}`));
    });
    d.on('end', () => {
      if (settled) return;
      settled = true;
      // The input bytes the decompressor consumed: fewer than given when its stream ended before them.
      resolve({ chunks, bytes, consumed: Math.min(d.bytesWritten, input.length) });
    });
    d.end(input);
  });
}
