/**
 * `read_timeout` for OTLP/gRPC: a call's request must arrive whole (the
 * client's END_STREAM) within it, counted from the call's headers. grpc-js
 * hands a unary handler the message only once all of it is read, so without
 * this a client that starts a call and stalls mid-message holds its HTTP/2
 * stream, the buffered part of its message and, with enough of them, every
 * `max_concurrent_streams` slot of its connection for as long as the
 * connection lives.
 *
 * Done on the HTTP/2 stream, not in a grpc-js interceptor: an interceptor
 * can answer the call, but grpc-js then leaves the stream half-open and the
 * client may go on sending. Here the call is answered DEADLINE_EXCEEDED (an
 * OTLP sender retries it; nothing of it was acknowledged) and the stream is
 * reset, which ends grpc-js's call as cancelled before its handler ran.
 */
import type http2 from 'node:http2';
import { GrpcCode } from '../rpcStatus.ts';
import { refuseStream } from './refuseStream.ts';

export function armReadTimeout(stream: http2.ServerHttp2Stream, timeoutMs: number): void {
  const timer = setTimeout(() => {
    if (stream.state.remoteClose) return;
    // Answered, then RST_STREAM after the answer: the client must stop sending (RFC 9113 §8.1).
    refuseStream(stream, {
      code: GrpcCode.DEADLINE_EXCEEDED,
      message: `request not received within read_timeout (${timeoutMs} ms)`,
    });
  }, timeoutMs);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}
