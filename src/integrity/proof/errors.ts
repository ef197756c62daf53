/**
 * Typed errors of proof generation and checking:
 * - `ProofMalformedError` (PROOF_MALFORMED, CLI exit 1): the proof file is
 *   not a proof document — not JSON, a field missing, of the wrong type or
 *   unknown, a hash that is not 64 hex digits, a record that does not decode;
 * - `ProofInvalidError` (PROOF_INVALID, CLI exit 3): a well-formed proof (or
 *   the WAL it is built from) does not check out — `failure` says how.
 */
import { OtelAuditError } from '../../errors.ts';
import type { ProofCheckFailure } from './ProofCheck.ts';

export class ProofMalformedError extends OtelAuditError {
  /** Where in the document, e.g. `checkpoint.checkpoint.tree_size` ('' for the whole document). */
  readonly path: string;

  constructor(path: string, message: string, cause?: unknown) {
    super('PROOF_MALFORMED', path === '' ? message : `${path}: ${message}`, { cause });
    this.path = path;
  }
}

export class ProofInvalidError extends OtelAuditError {
  readonly failure: ProofCheckFailure;

  constructor(failure: ProofCheckFailure, message: string) {
    super('PROOF_INVALID', `${failure}: ${message}`);
    this.failure = failure;
  }
}
