/**
 * The `redaction` processor: the OpenTelemetry Collector contrib
 * `redactionprocessor` on log records — attributes first, then the body, each
 * with the contrib's decisions and summary attributes (README.md). It changes
 * records (`mutates: true`), so it must come before `audit_chain` /
 * `audit_sign`. Resource and scope attributes, which the contrib also
 * processes, are read-only in otel-audit's record view and left alone.
 */
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { PatternWork } from '../audit_mask/engine/PatternWork.ts';
import { ProblemList, throwIfProblems } from '../filter/match/problems.ts';
import { compileRedaction } from './compileRedaction.ts';
import type { RedactionConfig } from './config.ts';
import { redactAttributes } from './redactAttributes.ts';
import { redactBody } from './redactBody.ts';
import { RedactionRules } from './RedactionRules.ts';

/** The contrib's documented minimum key lengths (bytes) for the HMAC hash functions. */
const HMAC_KEY_BYTES_MIN: Readonly<Record<string, number>> = { 'hmac-sha256': 32, 'hmac-sha512': 64 };

export class RedactionProcessor implements RecordProcessor {
  readonly mutates = true;
  private readonly rules: RedactionRules;

  constructor(settings: CreateSettings, config: RedactionConfig) {
    const problems = new ProblemList();
    const compiled = compileRedaction(config, problems);
    throwIfProblems(settings.id, problems);
    this.rules = new RedactionRules(compiled);
    const { logger, id } = settings;
    if (!['debug', 'info', 'silent', ''].includes(config.summary)) {
      logger.warn(`${id}: summary "${config.summary}" is not debug, info or silent: no summary is written`);
    }
    const keyMin = HMAC_KEY_BYTES_MIN[config.hash_function];
    if (keyMin !== undefined && Buffer.byteLength(config.hmac_key) < keyMin) {
      logger.warn(
        `${id}: hmac_key is shorter than the ${keyMin} bytes recommended for ${config.hash_function}`,
      );
    }
    if (!config.allow_all_keys && config.allowed_keys.length === 0) {
      logger.warn(`${id}: allowed_keys is empty and allow_all_keys is false: every attribute is removed`);
    }
  }

  process(record: MutableLogRecordView): boolean {
    const work = new PatternWork(this.rules.compiled.patternWorkMax);
    redactAttributes(record, this.rules, work);
    redactBody(record, this.rules, work);
    return true;
  }
}
