/**
 * An exporter failed with something other than a typed error (`OtelAuditError`):
 * a bug in that exporter, not a condition it knows to be transient (every
 * failure the `audit_wal` exporter expects — a full queue or disk, an I/O or
 * sync error, a closed WAL — is typed and keeps its own code). Code `INTERNAL`,
 * not retryable: treated as retryable before, a failure that happens every
 * time made OTLP senders resend the same request for ever (a sender with a
 * persistent queue stops at it). The OTLP specification lists only 429, 502,
 * 503 and 504 (gRPC: UNAVAILABLE and a few more, not INTERNAL) as retryable;
 * the Collector answers a permanent error that carries no status INTERNAL /
 * 500 in the same way. The records of the batch are not durable in that
 * exporter. See docs/guarantees.md (Pipelines) for what the receiver answers.
 */
import { OtelAuditError } from '../errors.ts';

export class ExporterFailedError extends OtelAuditError {
  readonly exporterId: string;

  constructor(o: { readonly exporterId: string; readonly cause: unknown }) {
    const reason = o.cause instanceof Error ? `${o.cause.name}: ${o.cause.message}` : String(o.cause);
    super('INTERNAL', `exporter "${o.exporterId}" failed (a bug): ${reason}`, {
      cause: o.cause,
      retryable: false,
    });
    this.exporterId = o.exporterId;
  }
}

/** `err` as it leaves a pipeline: typed errors unchanged, anything else an `ExporterFailedError`. */
export function typedExporterError(err: unknown, exporterId: string): OtelAuditError {
  return err instanceof OtelAuditError ? err : new ExporterFailedError({ exporterId, cause: err });
}
