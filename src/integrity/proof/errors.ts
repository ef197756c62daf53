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

/**
 * A proof `prove` does not write: its text would be larger than `verify-proof` reads (`PROOF_BYTES_MAX`),
 * or than a JavaScript string can hold (a record of tens of MiB of control characters, each `\u00XX` in
 * JSON). INVALID_ARGUMENT (CLI exit 1): the record cannot be proven, the WAL is not damaged.
 */
export class ProofTooLargeError extends OtelAuditError {
  /** The proof's size in bytes when known (undefined: beyond a string, or refused before it was built). */
  readonly proofBytes: number | undefined;
  readonly proofBytesMax: number;

  constructor(what: string, proofBytesMax: number, proofBytes: number | undefined, atLeast = false) {
    const size =
      proofBytes === undefined
        ? 'longer than a JavaScript string can be'
        : `${atLeast ? 'at least ' : ''}${proofBytes} bytes`;
    super(
      'INVALID_ARGUMENT',
      `${what} would be ${size}, more than the ${proofBytesMax} bytes verify-proof reads (PROOF_BYTES_MAX): not written`,
    );
    this.proofBytes = proofBytes;
    this.proofBytesMax = proofBytesMax;
  }
}
