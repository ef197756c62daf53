/**
 * The `filter` processor for logs: drops a record when any OTTL condition
 * under `logs.log_record` is true (or, in the legacy form, when it is not
 * included or is excluded). It never changes a record (`mutates: false`).
 *
 * A condition that fails on a record (an `OttlRuntimeError`) is handled by
 * `error_mode`: `ignore` counts it as false and logs it (the first time and
 * then every ERROR_LOG_INTERVAL-th time), `silent` counts it as false
 * without logging, `propagate` throws `FilterConditionError`.
 *
 * Drops are counted (`droppedCount`): the first one is logged, and the total
 * at shutdown.
 */
import type { CreateSettings, ComponentLogger } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { compileFilter, type CompiledFilter } from './compileFilter.ts';
import type { FilterConfig } from './config.ts';
import { FilterConditionError } from './FilterConditionError.ts';
import { ProblemList, throwIfProblems } from './match/problems.ts';
import { OttlRuntimeError } from './ottl/errors.ts';

export const ERROR_LOG_INTERVAL = 1_000;

export class FilterProcessor implements RecordProcessor {
  readonly mutates = false;
  /** It only drops or refuses records: the kept ones keep their wire bytes (src/record/recordWire.ts). */
  readonly preservesContent = true;
  private readonly id: string;
  private readonly logger: ComponentLogger;
  private readonly errorMode: FilterConfig['error_mode'];
  private readonly compiled: CompiledFilter;
  private dropped = 0;
  private errors = 0;
  private shutDown = false;

  constructor(settings: CreateSettings, config: FilterConfig) {
    this.id = settings.id;
    this.logger = settings.logger;
    this.errorMode = config.error_mode;
    const problems = new ProblemList();
    this.compiled = compileFilter(config, problems);
    throwIfProblems(settings.id, problems);
  }

  /** Records dropped so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Condition evaluations that failed so far. */
  get errorCount(): number {
    return this.errors;
  }

  process(record: MutableLogRecordView): boolean {
    const { skip, conditions } = this.compiled;
    if (skip?.(record) === true) return this.drop();
    for (const condition of conditions) {
      let matched: boolean;
      try {
        matched = condition.evaluate(record);
      } catch (err) {
        if (!(err instanceof OttlRuntimeError)) throw err;
        this.onError(condition.text, err);
        continue;
      }
      if (matched) return this.drop();
    }
    return true;
  }

  /**
   * Logs the totals, so drops the configuration intends are not invisible (there is no metrics endpoint yet).
   * Once: a later call (a second shutdown request) logs nothing more.
   */
  shutdown(): Promise<void> {
    if (this.shutDown) return Promise.resolve();
    this.shutDown = true;
    if (this.dropped > 0 || this.errors > 0) {
      this.logger.info(
        `${this.id}: dropped ${this.dropped} record(s) in total; ${this.errors} condition failure(s)`,
      );
    }
    return Promise.resolve();
  }

  private drop(): false {
    this.dropped++;
    if (this.dropped === 1) {
      this.logger.info(
        `${this.id}: dropped a record as configured (the first; the total is logged at shutdown)`,
      );
    }
    return false;
  }

  private onError(condition: string, err: OttlRuntimeError): void {
    this.errors++;
    if (this.errorMode === 'propagate') throw new FilterConditionError(this.id, condition, err);
    if (this.errorMode === 'silent') return;
    if (this.errors === 1 || this.errors % ERROR_LOG_INTERVAL === 0) {
      this.logger.warn(
        `${this.id}: the condition ${JSON.stringify(condition)} failed and counts as false (error_mode: ignore; ` +
          `${this.errors} failure(s) so far): ${err.message}`,
      );
    }
  }
}
