/**
 * What an open OTLP/gRPC stream costs the server before any of its request
 * data arrives, reserved in the byte budget at its headers
 * (streamAdmission.ts): Node's HTTP/2 stream, grpc-js's call and their
 * copies of the headers. Measured (Node 24, grpc-js 1.14.7, 1,600
 * header-only streams on 100 connections, client in another process, after
 * GC): +4.8 KB of heap and +12 KB of RSS per stream with ~150 bytes of
 * headers, +19.6 KB of RSS with 8 KB more. Counted so that streams that send
 * nothing are bounded by the budget too: 16 KiB each, plus what their
 * headers hold beyond 4 KiB.
 */
import type http2 from 'node:http2';

export const STREAM_BYTES = 16 * 1024;
/** Header bytes included in `STREAM_BYTES`. */
const HEADER_BYTES_INCLUDED = 4 * 1024;
/**
 * SETTINGS_MAX_HEADER_LIST_SIZE the gRPC server advertises (http2Transport.ts), counted as below. Node
 * resets a stream whose header list is larger with ENHANCE_YOUR_CALM (grpc-js clients report
 * RESOURCE_EXHAUSTED, "Bandwidth exhausted or memory limit exceeded"; Node's own client may refuse to send
 * it, REFUSED_STREAM: measured, grpc-js 1.14.7) once the client has acknowledged it, and streamAdmission.ts
 * refuses a larger one sent before that the same way, so the largest stream the server accepts, and so the largest call (config.ts), is bounded:
 * without it Node 24 and grpc-js advertised no limit (2^32 - 1) and a call with more than ~4 KiB of headers
 * (a large JWT) could cost more than the largest call the budget was checked to hold, and be refused
 * UNAVAILABLE on every retry. 64 KiB: 8 times gRPC Java's and C-core's default (8 KiB), so any client that
 * talks to those fits; grpc-go (the Collector) defaults to 16 MiB, which the budget could not absorb per
 * stream.
 */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;
/** What a stream whose header list is as large as the server accepts costs: the most any stream reserves. */
export const STREAM_BYTES_MAX = STREAM_BYTES + MAX_HEADER_LIST_BYTES - HEADER_BYTES_INCLUDED;
/** Per header field, as HTTP/2 counts a header list's size (RFC 9113 §6.5.2). */
const FIELD_OVERHEAD_BYTES = 32;

/** The reservation of a stream with `headers`. */
export function streamCostBytes(headers: http2.IncomingHttpHeaders): number {
  let bytes = 0;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') bytes += name.length + value.length + FIELD_OVERHEAD_BYTES;
    else if (value !== undefined)
      for (const v of value) bytes += name.length + v.length + FIELD_OVERHEAD_BYTES;
  }
  return STREAM_BYTES + Math.max(0, bytes - HEADER_BYTES_INCLUDED);
}
