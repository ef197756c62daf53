/**
 * The one typed error of the canonical encoders (JCS, the record projection,
 * the Collector `signing` payload): a value that has no canonical form, or
 * that is over a limit. Permanent: the same input always fails the same way.
 */
import { OtelAuditError } from '../../errors.ts';

export type CanonicalEncodingProblem =
  /** A string (value or key) with a lone UTF-16 surrogate: it has no UTF-8 form. */
  | 'lone-surrogate'
  /** NaN or ±Infinity where a JSON number is required. */
  | 'non-finite-number'
  /** Something that is not JSON data (undefined, bigint, a class instance...) or not an AnyValue. */
  | 'unsupported-type'
  /** Nested deeper than the encoder's depth limit. */
  | 'depth'
  /** Larger than the encoder's size limit. */
  | 'size';

export class CanonicalEncodingError extends OtelAuditError {
  readonly problem: CanonicalEncodingProblem;
  /** Where in the value, e.g. `attributes[2].value.kvlistValue[0].key`; '' for the root. */
  readonly path: string;

  constructor(problem: CanonicalEncodingProblem, path: string, message: string) {
    super('INTEGRITY_CANONICAL', path === '' ? message : `${path}: ${message}`);
    this.problem = problem;
    this.path = path;
  }
}
