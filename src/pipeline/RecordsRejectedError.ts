/**
 * Some records of a batch were refused, each for its own reason (a filter
 * condition that failed under `error_mode: propagate`, a processor that threw);
 * every other record of the batch went on and is durable. Permanent: the
 * sender must not retry (it would only duplicate the durable ones). An OTLP
 * receiver answers it as a partial success (`rejected_log_records` =
 * `rejectedCount`, with this message).
 */
import { PermanentError } from './consumer.ts';

export interface RejectedRecord {
  /** Position of the record in the batch (0-based). */
  readonly index: number;
  readonly error: PermanentError;
}

/** Reasons quoted in the message at most (the count is always exact). */
const QUOTED_MAX = 3;

export class RecordsRejectedError extends PermanentError {
  readonly rejected: readonly RejectedRecord[];
  readonly rejectedCount: number;
  readonly acceptedCount: number;

  constructor(o: { readonly rejected: readonly RejectedRecord[]; readonly acceptedCount: number }) {
    const shown = o.rejected.slice(0, QUOTED_MAX).map((r) => r.error.message);
    const more = o.rejected.length > QUOTED_MAX ? `; and ${o.rejected.length - QUOTED_MAX} more` : '';
    super(
      `${o.rejected.length} record(s) refused, ${o.acceptedCount} accepted and durable: ${shown.join('; ')}${more}`,
      o.rejected[0]?.error,
    );
    this.rejected = o.rejected;
    this.rejectedCount = o.rejected.length;
    this.acceptedCount = o.acceptedCount;
  }
}
