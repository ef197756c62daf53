/**
 * Thrown by the filter processor with `error_mode: propagate` when a
 * condition cannot be evaluated on a record. Permanent: the same record fails
 * the same way again. In collector mode the whole request is refused (the
 * Collector drops the payload and returns the error); nothing is acknowledged.
 */
import { PermanentError } from '../../src/pipeline/consumer.ts';

export class FilterConditionError extends PermanentError {
  readonly condition: string;

  constructor(processorId: string, condition: string, cause: Error) {
    super(`${processorId}: the condition ${JSON.stringify(condition)} failed: ${cause.message}`, cause);
    this.condition = condition;
  }
}
