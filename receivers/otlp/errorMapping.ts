/**
 * The receiver's status-code contract (docs/receiver.md): how a pipeline
 * outcome becomes an OTLP/HTTP status or a gRPC code, so the sender's own
 * retry keeps every record that was not acknowledged.
 *
 * | outcome                                   | HTTP                 | gRPC                          |
 * |-------------------------------------------|----------------------|-------------------------------|
 * | durable in every pipeline                 | 200                  | OK                            |
 * | some records refused alone, the rest durable (RecordsRejectedError) | 200 + partial_success | OK + partial_success |
 * | malformed / over a decode limit           | 400                  | INVALID_ARGUMENT              |
 * | typed permanent error (PermanentError)    | 400                  | INVALID_ARGUMENT              |
 * | WAL queue full                            | 429 + Retry-After    | RESOURCE_EXHAUSTED + RetryInfo|
 * | anything else: disk full, I/O, sync failure, shutting down, a non-data error | 503 + Retry-After | UNAVAILABLE + RetryInfo |
 * | not authenticated                         | 401                  | UNAUTHENTICATED               |
 */
import { OtelAuditError } from '../../src/errors.ts';
import { DATA_ERROR_CODES } from '../../src/pipeline/consumer.ts';
import type { DecodeLimitName } from '../../src/record/DecodeLimits.ts';
import { DecodeLimitError } from '../../src/record/errors.ts';
import { RecordsRejectedError } from '../../src/pipeline/RecordsRejectedError.ts';
import { GrpcCode, type PartialSuccess, type RpcStatus } from './rpcStatus.ts';

export interface MappedError extends RpcStatus {
  readonly httpStatus: number;
}

/** How long a client is asked to wait before retrying a refused request. */
export const RETRY_AFTER_MS = { queueFull: 1000, unavailable: 5000 } as const;

/*
 * The only outcomes a sender is told never to retry: the data itself is
 * unacceptable (`DATA_ERROR_CODES`, src/pipeline/consumer.ts: malformed, over
 * a decode limit, an invalid record, a typed `PermanentError`, a record over
 * the WAL's payload maximum), the same list the pipeline ranks refusals by.
 * Any other error — including a typed one that is merely not retryable, such
 * as a corrupt key store, a missing master key or a component that is not
 * started — is the service's problem, not the data's: the sender must keep
 * the records and retry, or they are lost.
 */

/** The receiver's config key (under `limits`) for each decode limit, named in a refusal. */
export const LIMIT_CONFIG_KEYS: Readonly<Record<DecodeLimitName, string>> = {
  recordCountMax: 'max_records_per_request',
  attributeCountMax: 'max_attributes_per_record',
  arrayLengthMax: 'max_array_length',
  anyValueDepthMax: 'max_nesting_depth',
  stringBytesMax: 'max_string_bytes',
  bytesLengthMax: 'max_bytes_length',
  elementCountMax: 'max_elements_per_request',
};

/**
 * A pipeline that refused some records on their own (a filter condition
 * that failed under `error_mode: propagate`, a processor bug) wrote every
 * other record of the request durably: the OTLP answer for that is success
 * with `partial_success` (the count refused and why), not an error that
 * would tell the sender that the durable records failed too. The refused
 * records are permanent failures: the sender must not resend them.
 */
export function partialSuccessOf(err: unknown): PartialSuccess | undefined {
  if (!(err instanceof RecordsRejectedError)) return undefined;
  return { rejectedLogRecords: err.rejectedCount, errorMessage: err.message };
}

export function mapPipelineError(err: unknown): MappedError {
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof DecodeLimitError)
    message += ` [receiver setting limits::${LIMIT_CONFIG_KEYS[err.limit]}]`;
  const code = err instanceof OtelAuditError ? err.code : undefined;
  if (code !== undefined && DATA_ERROR_CODES.has(code)) {
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
