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
