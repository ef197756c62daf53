/**
 * Thrown by the filter processor with `error_mode: propagate` when a
 * condition cannot be evaluated on a record. Permanent: the same record fails
 * the same way again. That record alone is refused: the pipeline writes the
 * other records of its batch and then reports the refused ones
 * (`RecordsRejectedError`). The Collector drops the whole payload instead;
 * otel-audit does not let one record's value cost the records sent with it.
 */
import { PermanentError } from '../../src/pipeline/consumer.ts';

export class FilterConditionError extends PermanentError {
  readonly condition: string;

  constructor(processorId: string, condition: string, cause: Error) {
    super(`${processorId}: the condition ${JSON.stringify(condition)} failed: ${cause.message}`, cause);
    this.condition = condition;
  }
}
