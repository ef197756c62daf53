/**
 * The receiver's status-code contract (docs/receiver.md): how a pipeline
 * outcome becomes an OTLP/HTTP status or a gRPC code, so the sender's own
 * retry keeps every record that was not acknowledged.
 *
 * | outcome                                   | HTTP                 | gRPC                          |
 * |-------------------------------------------|----------------------|-------------------------------|
 * | durable in every pipeline                 | 200                  | OK                            |
 * | malformed / over a decode limit           | 400                  | INVALID_ARGUMENT              |
 * | permanent pipeline error                  | 400                  | INVALID_ARGUMENT              |
 * | WAL queue full                            | 429 + Retry-After    | RESOURCE_EXHAUSTED + RetryInfo|
 * | disk full, I/O, sync failure, shutting down | 503 + Retry-After  | UNAVAILABLE + RetryInfo       |
 * | not authenticated                         | 401                  | UNAUTHENTICATED               |
 */
import { OtelAuditError } from '../../src/errors.ts';
import { isRetryable } from '../../src/pipeline/consumer.ts';
import { GrpcCode, type RpcStatus } from './rpcStatus.ts';

export interface MappedError extends RpcStatus {
  readonly httpStatus: number;
}

/** How long a client is asked to wait before retrying a refused request. */
export const RETRY_AFTER_MS = { queueFull: 1000, unavailable: 5000 } as const;

export function mapPipelineError(err: unknown): MappedError {
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof OtelAuditError ? err.code : undefined;
  // INTERNAL is a bug on our side: never tell the sender to drop data for it.
  if (
    code !== 'INTERNAL' &&
    (code === 'OTLP_DECODE' || code === 'DECODE_LIMIT' || code === 'RECORD_INVALID' || !isRetryable(err))
  ) {
    return { httpStatus: 400, code: GrpcCode.INVALID_ARGUMENT, message };
  }
  if (code === 'WAL_QUEUE_FULL') {
    return {
      httpStatus: 429,
      code: GrpcCode.RESOURCE_EXHAUSTED,
      message,
      retryDelayMs: RETRY_AFTER_MS.queueFull,
    };
  }
  return { httpStatus: 503, code: GrpcCode.UNAVAILABLE, message, retryDelayMs: RETRY_AFTER_MS.unavailable };
}
