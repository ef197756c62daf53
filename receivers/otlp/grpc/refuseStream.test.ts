import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCode } from '../rpcStatus.ts';
import { refuseStream } from './refuseStream.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Refuses the one stream a client opens with `message`; resolves with what the client received. */
async function refusedWith(message: string): Promise<{ status: unknown; message: unknown; thrown: unknown }> {
  const server = http2.createServer();
  let thrown: unknown;
  server.on('stream', (stream) => {
    try {
      refuseStream(stream, { code: GrpcCode.UNAUTHENTICATED, message });
    } catch (err) {
      thrown = err;
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((r) => server.close(r)));
  const { port } = server.address() as { port: number };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  cleanups.push(() => session.destroy());
  const stream = session.request({ ':method': 'POST', ':path': '/x', 'content-type': 'application/grpc' });
  stream.on('error', () => undefined);
  const headers = await new Promise<http2.IncomingHttpHeaders | undefined>((resolve) => {
    stream.on('response', resolve);
    stream.on('close', () => resolve(undefined));
  });
  return { status: headers?.['grpc-status'], message: headers?.['grpc-message'], thrown };
}

describe('refuseStream', () => {
  it('answers a trailers-only status with its message percent-encoded', async () => {
    expect(await refusedWith('unauthenticated: invalid token')).toEqual({
      status: String(GrpcCode.UNAUTHENTICATED),
      message: 'unauthenticated:%20invalid%20token',
      thrown: undefined,
    });
  });

  it('does not throw on a message with a lone surrogate (it would end the process in the stream listener)', async () => {
    expect(await refusedWith('unauthenticated: bad \ud800 name')).toEqual({
      status: String(GrpcCode.UNAUTHENTICATED),
      message: 'unauthenticated:%20bad%20%EF%BF%BD%20name',
      thrown: undefined,
    });
  });
});
