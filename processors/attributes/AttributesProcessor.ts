/**
 * The `attributes` processor for logs: applies its actions, in order, to the
 * attributes of every record that passes `include` / `exclude`. It changes
 * records (`mutates: true`), so it must come before chaining or signing.
 */
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { ProblemList, throwIfProblems } from '../filter/match/problems.ts';
import { compileAttributes, type CompiledAttributes } from './compileAttributes.ts';
import type { AttributesConfig } from './config.ts';
import { runAction } from './runAction.ts';

export class AttributesProcessor implements RecordProcessor {
  readonly mutates = true;
  private readonly compiled: CompiledAttributes;

  constructor(settings: CreateSettings, config: AttributesConfig) {
    const problems = new ProblemList();
    this.compiled = compileAttributes(config, problems);
    throwIfProblems(settings.id, problems);
    if (this.compiled.actions.length === 0) {
      settings.logger.warn(`${settings.id}: no actions are configured; the processor changes nothing`);
    }
  }

  process(record: MutableLogRecordView): boolean {
    const { skip, actions } = this.compiled;
    if (skip?.(record) === true) return true;
    for (const action of actions) runAction(record, action);
    return true;
  }
}
