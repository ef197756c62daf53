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

function decompressor(encoding: string): Transform | undefined {
  switch (encoding) {
    case '':
    case 'identity':
    case 'none':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
    case 'zlib':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd':
      return zlib.createZstdDecompress();
    default:
      throw new UnsupportedEncodingError(encoding);
  }
}

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const inflate = decompressor(encoding);
  const declared = Number(req.headers['content-length']);
  if (!inflate && Number.isFinite(declared) && declared > limitBytes)
    return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let out = 0;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      inflate?.destroy();
      req.unpipe();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      out += chunk.length;
      if (out > limitBytes) return fail(new BodyTooLargeError(limitBytes));
      chunks.push(chunk);
    };
    req.on('data', (chunk: Buffer) => {
      wire += chunk.length;
      if (wire > limitBytes) fail(new BodyTooLargeError(limitBytes));
    });
    req.on('error', (err) => fail(err));
    req.on('aborted', () => fail(new OtelAuditError('OTLP_DECODE', 'request aborted by the client')));
    const source = inflate ? req.pipe(inflate) : req;
    if (inflate) {
      inflate.on('error', (err) =>
        fail(new OtelAuditError('OTLP_DECODE', `cannot decompress ${encoding} body: ${err.message}`)),
      );
      inflate.on('data', onData);
    } else {
      req.on('data', onData);
    }
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, out));
    });
  });
}
