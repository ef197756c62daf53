/**
 * The chain cannot be resumed from the WAL at start, even as a new stream:
 * continuing would write records whose numbers or links are wrong, so the
 * exporter does not start. Permanent (the WAL must be looked at: `verify`).
 * Its code is `WAL_CORRUPT`: what the directory holds is the cause.
 */
import { OtelAuditError } from '../../errors.ts';

export class ChainRecoveryError extends OtelAuditError {
  /** The stream that could not be resumed. */
  readonly streamId: string;

  constructor(streamId: string, problems: readonly string[]) {
    super(
      'WAL_CORRUPT',
      `chain ${streamId} cannot be resumed from the WAL${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`,
    );
    this.streamId = streamId;
  }
}
