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
  /** Records not refused (as OTLP counts them): durable, or dropped by a processor (e.g. `filter`). */
  readonly acceptedCount: number;
  /**
   * Of the accepted records, those a processor dropped (not written); undefined when not known (merged
   * over pipelines that dropped different records).
   */
  readonly droppedCount: number | undefined;

  constructor(o: {
    readonly rejected: readonly RejectedRecord[];
    readonly acceptedCount: number;
    /** Default 0: every accepted record is durable. */
    readonly droppedCount?: number | undefined;
    /** Set with `droppedCount: undefined` when it is not known. */
    readonly droppedUnknown?: boolean;
  }) {
    const shown = o.rejected.slice(0, QUOTED_MAX).map((r) => r.error.message);
    const more = o.rejected.length > QUOTED_MAX ? `; and ${o.rejected.length - QUOTED_MAX} more` : '';
    const dropped = o.droppedUnknown ? undefined : (o.droppedCount ?? 0);
    // A dropped record must not be called durable: an operator looking for it would be misled.
    const accepted =
      dropped === undefined
        ? `${o.acceptedCount} accepted (durable, or dropped by a processor)`
        : dropped === 0
          ? `${o.acceptedCount} accepted and durable`
          : `${o.acceptedCount} accepted (${o.acceptedCount - dropped} durable, ${dropped} dropped by a processor)`;
    super(
      `${o.rejected.length} record(s) refused, ${accepted}: ${shown.join('; ')}${more}`,
      o.rejected[0]?.error,
    );
    this.rejected = o.rejected;
    this.rejectedCount = o.rejected.length;
    this.acceptedCount = o.acceptedCount;
    this.droppedCount = dropped;
  }
}
