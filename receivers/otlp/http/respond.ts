/** Writes OTLP/HTTP answers in the request's content type. */
import type { ServerResponse } from 'node:http';
import type { MappedError } from '../errorMapping.ts';
import {
  encodeResponseJson,
  encodeResponseProtobuf,
  encodeStatusJson,
  encodeStatusProtobuf,
  type PartialSuccess,
  type RpcStatus,
} from '../rpcStatus.ts';

export type BodyFormat = 'protobuf' | 'json';

export const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export function sendSuccess(res: ServerResponse, format: BodyFormat, partial?: PartialSuccess): void {
  const body = format === 'json' ? encodeResponseJson(partial) : encodeResponseProtobuf(partial);
  res
    .writeHead(200, { 'Content-Type': CONTENT_TYPE[format], 'Content-Length': Buffer.byteLength(body) })
    .end(body);
}

export function sendStatus(
  res: ServerResponse,
  format: BodyFormat,
  httpStatus: number,
  status: RpcStatus,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = format === 'json' ? encodeStatusJson(status) : encodeStatusProtobuf(status);
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPE[format],
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  };
  if (status.retryDelayMs !== undefined)
    headers['Retry-After'] = String(Math.max(1, Math.ceil(status.retryDelayMs / 1000)));
  res.writeHead(httpStatus, headers).end(body);
}

export function sendMapped(
  res: ServerResponse,
  format: BodyFormat,
  e: MappedError,
  extraHeaders?: Record<string, string>,
): void {
  sendStatus(res, format, e.httpStatus, e, extraHeaders);
}
