/**
 * The two ways an OTTL condition fails:
 * - `OttlParseError`: the condition is not in the supported subset (syntax,
 *   unknown path, converter or enum, bad regular expression). Found when the
 *   configuration is validated; names the 1-based column.
 * - `OttlRuntimeError`: evaluating it on one record failed (indexing a
 *   value that cannot be indexed, an index out of bounds, IsMatch on a value
 *   over the regex input cap). The filter processor's `error_mode` decides.
 */
import { OtelAuditError } from '../../../src/errors.ts';

export class OttlParseError extends OtelAuditError {
  readonly column: number;
  readonly detail: string;

  constructor(column: number, detail: string) {
    super('CONFIG_INVALID', `invalid OTTL condition at column ${column}: ${detail}`);
    this.column = column;
    this.detail = detail;
  }
}

export class OttlRuntimeError extends OtelAuditError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
