/**
 * A processor threw something other than a typed error (`OtelAuditError`)
 * while processing a record: a bug in that processor, or data it cannot
 * handle. Permanent, for that record only: the same record would fail the
 * same way again, so treating it as retryable made the sender retry the same
 * request for ever (and wedged every record sent with it). A processor whose
 * failure is transient (a key store that is briefly unreachable) must throw a
 * retryable `OtelAuditError` instead; that fails the whole batch, retryably.
 */
import { PermanentError } from './consumer.ts';

export class ProcessorFailedError extends PermanentError {
  readonly processorId: string;
  /** Position of the record in the batch it came in (0-based). */
  readonly recordIndex: number;

  constructor(o: { readonly processorId: string; readonly recordIndex: number; readonly cause: unknown }) {
    const reason = o.cause instanceof Error ? `${o.cause.name}: ${o.cause.message}` : String(o.cause);
    super(
      `processor "${o.processorId}" failed on record ${o.recordIndex} (a bug; not retried): ${reason}`,
      o.cause,
    );
    this.processorId = o.processorId;
    this.recordIndex = o.recordIndex;
  }
}
