import { OtelAuditError } from '../errors.ts';

/** A record emitted in process could not be made durable (policy `on_failure: error`). */
export class AuditWriteFailedError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('AUDIT_WRITE_FAILED', message, { cause, retryable: true });
  }
}
