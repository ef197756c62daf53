/**
 * Ends a gRPC call on its HTTP/2 stream before grpc-js's handler has run:
 * a trailers-only answer with `status` (and the same `google.rpc.Status`,
 * RetryInfo included, in `grpc-status-details-bin`), then RST_STREAM
 * (NO_ERROR) so the client stops sending (RFC 9113 §8.1). grpc-js's call
 * ends as cancelled; a chunk that still arrives is not handed to it.
 */
import http2 from 'node:http2';
import { encodeStatusProtobuf, type RpcStatus } from '../rpcStatus.ts';

export function refuseStream(stream: http2.ServerHttp2Stream, status: RpcStatus): void {
  if (stream.closed || stream.destroyed) return;
  if (!stream.headersSent) {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': String(status.code),
        // well-formed first: encodeURI throws on a lone surrogate (an authenticator's reason), and a throw here,
        // in the HTTP/2 server's 'stream' listener, would end the process
        'grpc-message': encodeURI(status.message.toWellFormed()),
        'grpc-status-details-bin': Buffer.from(encodeStatusProtobuf(status)).toString('base64'),
      },
      { endStream: true },
    );
  }
  stream.close(http2.constants.NGHTTP2_NO_ERROR);
}
