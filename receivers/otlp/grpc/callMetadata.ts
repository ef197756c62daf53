/**
 * What a server authenticator sees of an OTLP/gRPC call: its metadata's
 * text entries (the first value of each, names in lower case). The same
 * request whether it is made from grpc-js's `call.metadata` in the handler
 * or from the stream's raw HTTP/2 headers at admission (streamAdmission.ts),
 * where grpc-js's own conversion is applied and the entries grpc-js keeps
 * from the handler are removed.
 */
import type http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { AuthRequest } from '../../../extensions/Authenticator.ts';

/** The headers grpc-js 1.14 removes from a call's metadata before its handler sees it (server-interceptors). */
const NOT_METADATA = [
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
];

export function authRequestOfMetadata(metadata: grpc.Metadata): AuthRequest {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(metadata.getMap()))
    if (typeof v === 'string') headers.set(k.toLowerCase(), v);
  return { headers };
}

export function authRequestOfHeaders(headers: http2.IncomingHttpHeaders): AuthRequest {
  const metadata = grpc.Metadata.fromHttp2Headers(headers);
  for (const key of NOT_METADATA) metadata.remove(key);
  return authRequestOfMetadata(metadata);
}
