/**
 * One OTLP/HTTP logs request: checks (method, media type, concurrency,
 * authentication), bounded body read, decode with limits, identity stamp,
 * then the pipeline; 200 only once every record is durable.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { decodeOtlpLogsJson } from '../../../src/otlp/jsonCodec.ts';
import { decodeOtlpLogsProtobuf } from '../../../src/otlp/protobufCodec.ts';
import type { ClientInfo, LogsConsumer } from '../../../src/pipeline/consumer.ts';
import type { DecodeLimits } from '../../../src/record/DecodeLimits.ts';
import type { ServerAuthenticator } from '../../../extensions/Authenticator.ts';
import { stampClient } from '../clientAttributes.ts';
import { mapPipelineError, partialSuccessOf, RETRY_AFTER_MS } from '../errorMapping.ts';
import { GrpcCode } from '../rpcStatus.ts';
import { BodyTooLargeError, readBody } from './readBody.ts';
import { sendMapped, sendStatus, sendSuccess, type BodyFormat } from './respond.ts';
import { peerIdentity } from '../peerIdentity.ts';
import { plainAddress } from '../plainAddress.ts';

export interface LogsHandlerContext {
  readonly next: LogsConsumer;
  readonly limits: DecodeLimits;
  readonly maxBodyBytes: number;
  /** `read_timeout`: the body must have arrived within it (0: no limit). */
  readonly readTimeoutMs: number;
  readonly authenticator: ServerAuthenticator | undefined;
  readonly mtls: boolean;
  /** True while the receiver is shutting down: new requests are refused with 503. */
  readonly draining: () => boolean;
}

export function formatOf(contentType: string | undefined): BodyFormat | undefined {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return undefined;
}

export async function handleLogs(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: LogsHandlerContext,
): Promise<void> {
  const format = formatOf(req.headers['content-type']);
  if (req.method !== 'POST') {
    return sendStatus(
      res,
      format ?? 'json',
      405,
      { code: GrpcCode.INVALID_ARGUMENT, message: `method ${req.method} not allowed, supported: [POST]` },
      { Allow: 'POST' },
    );
  }
  if (!format) {
    return sendStatus(res, 'json', 415, {
      code: GrpcCode.INVALID_ARGUMENT,
      message: `unsupported media type "${req.headers['content-type'] ?? ''}", supported: [application/json, application/x-protobuf]`,
    });
  }
  if (ctx.draining()) {
    return sendStatus(res, format, 503, {
      code: GrpcCode.UNAVAILABLE,
      message: 'the receiver is shutting down',
      retryDelayMs: RETRY_AFTER_MS.unavailable,
    });
  }
  const client: { authenticatedAs?: string; address?: string; protocol: string } = {
    protocol: format === 'json' ? 'otlp/http+json' : 'otlp/http+protobuf',
    address: plainAddress(req.socket.remoteAddress) ?? 'unix',
  };
  if (ctx.mtls) {
    const id = peerIdentity(req.socket as TLSSocket);
    if (id) client.authenticatedAs = id;
  }
  if (ctx.authenticator) {
    const headers = new Map<string, string>();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const outcome = ctx.authenticator.authenticate({ headers });
    if (!outcome.ok) {
      return sendStatus(
        res,
        format,
        401,
        { code: GrpcCode.UNAUTHENTICATED, message: `unauthenticated: ${outcome.reason}` },
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    client.authenticatedAs = outcome.identity;
  }
  let body: Buffer;
  try {
    body = await readBody(req, ctx.maxBodyBytes, ctx.readTimeoutMs);
  } catch (err) {
    const status = err instanceof BodyTooLargeError ? 413 : 400;
    res.setHeader('Connection', 'close');
    return sendStatus(res, format, status, {
      code: GrpcCode.INVALID_ARGUMENT,
      message: err instanceof Error ? err.message : String(err),
    });
  }
  try {
    const records =
      format === 'json'
        ? decodeOtlpLogsJson(body, { limits: ctx.limits })
        : decodeOtlpLogsProtobuf(body, { limits: ctx.limits, keepWireBytes: true });
    if (records.length > 0) {
      stampClient(records, client as ClientInfo);
      await ctx.next.consumeLogs({ records, client });
    }
    sendSuccess(res, format);
  } catch (err) {
    const partial = partialSuccessOf(err);
    if (partial !== undefined) return sendSuccess(res, format, partial);
    sendMapped(res, format, mapPipelineError(err));
  }
}
