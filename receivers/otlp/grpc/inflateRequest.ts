/**
 * Decompression of an OTLP/gRPC request message that the stream admission
 * took over from grpc-js (streamAdmission.ts, `takenCompression`): done by the
 * handler, while the call's bytes are reserved, with the same bound and the
 * same answers as grpc-js 1.14's own decompression (`max_recv_msg_size_mib`
 * on the decompressed size: RESOURCE_EXHAUSTED; data that does not
 * decompress: INTERNAL).
 */
import zlib from 'node:zlib';
import { GrpcCode, type RpcStatus } from '../rpcStatus.ts';

export type Inflated =
  { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly status: RpcStatus };

/** `message` decompressed (`encoding` gzip or deflate, zlib format as grpc-js reads it), at most `bytesMax` bytes. */
export function inflateRequest(message: Buffer, encoding: string, bytesMax: number): Promise<Inflated> {
  return new Promise((resolve) => {
    const done = (err: Error | null, bytes: Buffer): void => {
      if (!err) return resolve({ ok: true, bytes });
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      resolve({
        ok: false,
        status: tooLarge
          ? {
              code: GrpcCode.RESOURCE_EXHAUSTED,
              message: `Received message that decompresses to a size larger than ${bytesMax}`,
            }
          : { code: GrpcCode.INTERNAL, message: 'Failed to decompress message' },
      });
    };
    const options = { maxOutputLength: bytesMax };
    if (encoding === 'gzip') zlib.gunzip(message, options, done);
    else if (encoding === 'deflate') zlib.inflate(message, options, done);
    else
      resolve({
        ok: false,
        status: {
          code: GrpcCode.UNIMPLEMENTED,
          message: `Received message compressed with unsupported encoding "${encoding}"`,
        },
      });
  });
}
