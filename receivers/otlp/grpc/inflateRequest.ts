/**
 * Decompression of an OTLP/gRPC request message that the stream admission
 * took over from grpc-js (streamAdmission.ts, `takenCompression`): done by the
 * handler, while the call's bytes are reserved, with the same bound and the
 * same answers as grpc-js 1.14's own decompression (`max_recv_msg_size_mib`
 * on the decompressed size: RESOURCE_EXHAUSTED; data that does not
 * decompress: INTERNAL).
 *
 * The decompressed copy is reserved at its size, not at `max_recv_msg_size_mib`
 * (which let one connection's default share hold only ~6 compressed calls at
 * once, where a Collector exporter sends 10 over one connection): `reserve`
 * (the call's connection share and the server's budget) before the buffer
 * is allocated. When it does not fit, nothing more is decompressed and the
 * call is answered with `refused()` (UNAVAILABLE with RetryInfo: the sender
 * retries); the caller then gives back what the call holds.
 *
 * The output is written into ONE buffer of its size, never held twice: zlib's
 * own output buffer, its `chunkSize` set to the size + 1, of which the output
 * is a view (`decompress`). zlib.gunzip collects its output chunks and joins
 * them (Buffer.concat), 2x the output at the end, and a buffer grown by
 * copying holds up to 1.5x; either would go over the one decompressed copy
 * that config.ts counts for the largest call (`max_recv_msg_size_mib`). A
 * resizable ArrayBuffer grown in place held it once but made every call
 * 1.8-2x more CPU-costly, plain calls included (measured, interleaved A/B:
 * typed arrays over resizable buffers are another elements kind in V8, so
 * the decoder's code became polymorphic). The size comes from:
 * - gzip: the message's trailer (ISIZE, the last member's size mod 2^32), exact
 *   for what every gRPC client sends (one member): one pass, and a call whose
 *   size does not fit is refused before anything is decompressed. A trailer
 *   that overstates it reserves at most `max_recv_msg_size_mib`, as every
 *   compressed call did before (and zlib's length check then fails: INTERNAL);
 * - deflate (no size on the wire), or output that is not what the trailer said
 *   (several members, bytes after the member): a first pass that only counts
 *   (at most `bytesMax`, no output kept), then the pass that keeps it. Twice
 *   the decompression CPU for these rare cases, never more memory.
 */
import zlib from 'node:zlib';
import { GrpcCode, type RpcStatus } from '../rpcStatus.ts';

export type Inflated =
  | {
      readonly ok: true;
      readonly bytes: Buffer;
      /** What the output's buffer holds (reserved): `bytes.length` + 1, at least 64 (zlib's `chunkSize`). */
      readonly heldBytes: number;
    }
  | { readonly ok: false; readonly status: RpcStatus };

export interface InflateOptions {
  /** The request's `grpc-encoding`: `gzip` or `deflate` (zlib format, as grpc-js reads it). */
  readonly encoding: string;
  /** `max_recv_msg_size_mib`: the most the message may decompress to. */
  readonly bytesMax: number;
  /** Reserves `bytes` more for the output before it is allocated; false: no room, nothing more is decompressed. */
  readonly reserve: (bytes: number) => boolean;
  /** The answer when `reserve` refused (UNAVAILABLE with RetryInfo). */
  readonly refused: () => RpcStatus;
}

/** The smallest gzip member: 10-byte header, an empty final block, 8-byte trailer. */
const GZIP_MEMBER_BYTES_MIN = 20;
/** zlib's smallest `chunkSize` (Z_MIN_CHUNK). */
const CHUNK_BYTES_MIN = 64;
/** Output chunks of the measuring pass, which keeps none. */
const MEASURE_CHUNK_BYTES = 64 * 1024;

/** `message` decompressed, at most `o.bytesMax` bytes, in one buffer reserved at its size (see above). */
export async function inflateRequest(message: Buffer, o: InflateOptions): Promise<Inflated> {
  if (o.encoding !== 'gzip' && o.encoding !== 'deflate')
    return failed(
      GrpcCode.UNIMPLEMENTED,
      `Received message compressed with unsupported encoding "${o.encoding}"`,
    );
  const declared =
    o.encoding === 'gzip' && message.length >= GZIP_MEMBER_BYTES_MIN
      ? message.readUInt32LE(message.length - 4)
      : undefined;
  let reserved = 0;
  if (declared !== undefined && declared <= o.bytesMax) {
    reserved = bufferBytesFor(declared);
    if (!o.reserve(reserved)) return { ok: false, status: o.refused() };
    const kept = await decompress(message, o.encoding, declared, 'keep');
    if (kept === 'error') return corrupt();
    if (kept !== 'over') return { ok: true, bytes: kept, heldBytes: reserved };
    // more than the trailer said: measured below (the reservation made is counted there)
  }
  const size = await decompress(message, o.encoding, o.bytesMax, 'measure');
  if (size === 'error') return corrupt();
  if (size === 'over') return failed(GrpcCode.RESOURCE_EXHAUSTED, tooLarge(o.bytesMax));
  const held = bufferBytesFor(size);
  if (held > reserved && !o.reserve(held - reserved)) return { ok: false, status: o.refused() };
  const kept = await decompress(message, o.encoding, size, 'keep');
  // the same bytes decompressed again: anything else is a zlib fault, not the client's
  if (typeof kept === 'string' || kept.length !== size) return corrupt();
  return { ok: true, bytes: kept, heldBytes: Math.max(held, reserved) };
}

/** What the output buffer of a pass that keeps up to `bytes` holds: zlib's `chunkSize` there. */
function bufferBytesFor(bytes: number): number {
  return Math.max(CHUNK_BYTES_MIN, bytes + 1);
}

/**
 * Decompresses `message`, at most `bytesMax` bytes, stopping (the zlib stream destroyed) once it would pass
 * that (`over`) or does not decompress (`error`).
 *
 * `keep`: the output, in ONE buffer of `bufferBytesFor(bytesMax)`. It is zlib's own output buffer (its
 * `chunkSize`), of which every chunk zlib emits is the next slice, so the output is a view of it, neither
 * copied nor joined; zlib allocates a next buffer only once one is full, one byte over `bytesMax`, by which
 * time the stream has been destroyed. `measure`: only the output's size (nothing of it kept).
 */
function decompress(
  message: Buffer,
  encoding: 'gzip' | 'deflate',
  bytesMax: number,
  mode: 'keep',
): Promise<Buffer | 'over' | 'error'>;
function decompress(
  message: Buffer,
  encoding: 'gzip' | 'deflate',
  bytesMax: number,
  mode: 'measure',
): Promise<number | 'over' | 'error'>;
function decompress(
  message: Buffer,
  encoding: 'gzip' | 'deflate',
  bytesMax: number,
  mode: 'keep' | 'measure',
): Promise<Buffer | number | 'over' | 'error'> {
  return new Promise((resolve) => {
    const options = { chunkSize: mode === 'keep' ? bufferBytesFor(bytesMax) : MEASURE_CHUNK_BYTES };
    const z = encoding === 'gzip' ? zlib.createGunzip(options) : zlib.createInflate(options);
    let first: Buffer | undefined;
    /** Set if zlib ever emits a chunk outside `first`'s buffer: the chunks, joined (copied) at the end. */
    let scattered: Buffer[] | undefined;
    let written = 0;
    let settled = false;
    const finish = (result: Buffer | number | 'over' | 'error'): void => {
      if (settled) return;
      settled = true;
      z.destroy();
      resolve(result);
    };
    z.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (written + chunk.length > bytesMax) return finish('over');
      if (mode === 'keep') {
        first ??= chunk;
        // zlib writes on in the same buffer (see above). A chunk elsewhere would be a change in node:zlib:
        // then keep the chunks and join them (a copy: briefly twice the output, which is not reserved)
        // rather than fail a valid request or throw in this listener (an uncaught exception).
        if (
          scattered === undefined &&
          (chunk.buffer !== first.buffer || chunk.byteOffset !== first.byteOffset + written)
        )
          scattered = [Buffer.from(first.buffer, first.byteOffset, written)];
        scattered?.push(chunk);
      }
      written += chunk.length;
    });
    z.on('error', () => finish('error'));
    z.on('end', () => {
      if (mode === 'measure') return finish(written);
      if (scattered !== undefined) return finish(Buffer.concat(scattered, written));
      finish(first ? Buffer.from(first.buffer, first.byteOffset, written) : Buffer.alloc(0));
    });
    z.end(message);
  });
}

function tooLarge(bytesMax: number): string {
  return `Received message that decompresses to a size larger than ${bytesMax}`;
}

function corrupt(): Inflated {
  return failed(GrpcCode.INTERNAL, 'Failed to decompress message');
}

function failed(code: number, message: string): Inflated {
  return { ok: false, status: { code, message } };
}
