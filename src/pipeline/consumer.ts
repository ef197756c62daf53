/**
 * The one consumer contract (the Collector's `consumer.Logs`): a component
 * hands a batch on with one async call. The promise resolves only when every
 * record of the batch has reached every durable destination downstream (for
 * the `audit_wal` exporter: written and synced). It rejects with an error that
 * is either retryable (`OtelAuditError.retryable`: back-pressure, a full disk,
 * shutting down — the sender should try again later) or permanent
 * (`PermanentError`: the data itself is unacceptable; retrying cannot help).
 */
import type { AuditRecord } from '../record/AuditRecord.ts';
import { OtelAuditError, type ErrorCode } from '../errors.ts';

/** Who sent a batch, as established by the receiver's authenticator (absent when unauthenticated). */
export interface ClientInfo {
  readonly authenticatedAs?: string;
  readonly address?: string;
  readonly protocol?: string;
}

export interface LogBatch {
  readonly records: AuditRecord[];
  readonly client?: ClientInfo;
}

export interface LogsConsumer {
  consumeLogs(batch: LogBatch): Promise<void>;
}

/** The data is unacceptable; the sender must not retry it. */
export class PermanentError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('PIPELINE_PERMANENT', message, { cause, retryable: false });
  }
}

/** True when trying the same batch again later can succeed. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof OtelAuditError) return err.retryable;
  return true; // unknown failures (I/O, bugs) are not the sender's fault: let it retry
}

/**
 * Codes of the refusals that are about the data itself (malformed, over a decode limit, an invalid
 * record, a typed `PermanentError`, a record over the WAL's payload maximum): the only ones a sender
 * is told never to retry as data errors (400 / INVALID_ARGUMENT). Any other error — a typed one that is
 * merely not retryable (a corrupt key store, a component not started) included — is the service's
 * problem. The OTLP receiver's status mapping (receivers/otlp/errorMapping.ts) keeps the same list.
 */
export const DATA_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'OTLP_DECODE',
  'DECODE_LIMIT',
  'RECORD_INVALID',
  'PIPELINE_PERMANENT',
  'WAL_PAYLOAD_TOO_LARGE',
]);

/** True when `err` refuses the data itself (see `DATA_ERROR_CODES`): retrying the same data cannot help. */
export function isDataError(err: unknown): boolean {
  return err instanceof OtelAuditError && DATA_ERROR_CODES.has(err.code);
}
