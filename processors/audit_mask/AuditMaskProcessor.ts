/**
 * The `audit_mask` processor: finds personal data and secrets in a record's
 * attributes and body, at any depth, and redacts, partially masks, hashes or
 * drops them (README.md). Work per record is bounded: at most
 * `scan_bytes_max` bytes of strings are scanned (the rest is redacted, not
 * let through), containers deeper than `depth_max` are redacted, every
 * detector is linear in the length of what it scans, and custom patterns
 * (RE2, linear time) do at most `pattern_work_max` units of work (a string
 * they cannot pay for is redacted as `pattern_limit`). It changes records
 * (`mutates: true`), so it must come before `audit_chain` / `audit_sign`.
 *
 * Resource and scope attributes, the event name and severity text are not
 * masked: the record view keeps them read-only (they are shared by many
 * records). Attribute keys are not scanned, only their values.
 */
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { KeyValue } from '../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { ProblemList, throwIfProblems } from '../filter/match/problems.ts';
import { compileMask, type CompiledMask } from './compileMask.ts';
import type { AuditMaskConfig } from './config.ts';
import { MaskTally } from './engine/MaskTally.ts';
import { SUMMARY_PREFIX, writeMaskSummary } from './engine/maskSummary.ts';
import { PatternWork } from './engine/PatternWork.ts';
import { ScanBudget } from './engine/ScanBudget.ts';
import { DROP, KEEP, ValueMasker } from './engine/ValueMasker.ts';
import { loadHashKey } from './hashKey.ts';

export class AuditMaskProcessor implements RecordProcessor {
  readonly mutates = true;
  private readonly compiled: CompiledMask;
  private readonly hashKey: Uint8Array | undefined;
  // Per-record state, reset at the start of every `process` (which is synchronous, so one set serves all
  // records): allocating these five objects per record was ~10% of audit_mask's allocation on the bench records.
  private readonly budget: ScanBudget;
  private readonly work: PatternWork;
  private readonly tally: MaskTally;
  private readonly masker: ValueMasker;

  constructor(settings: CreateSettings, config: AuditMaskConfig) {
    const problems = new ProblemList();
    this.compiled = compileMask(config, problems);
    throwIfProblems(settings.id, problems);
    const source = this.compiled.hashKey;
    this.hashKey =
      source === undefined
        ? undefined
        : loadHashKey(source, { component: settings.id, baseDir: settings.baseDir });
    const { plan, summary, scanBytesMax, patternWorkMax } = this.compiled;
    this.budget = new ScanBudget(scanBytesMax);
    this.work = new PatternWork(patternWorkMax);
    this.tally = new MaskTally(summary === 'debug');
    this.masker = new ValueMasker({
      plan,
      hashKey: this.hashKey,
      budget: this.budget,
      work: this.work,
      tally: this.tally,
    });
  }

  process(record: MutableLogRecordView): boolean {
    const { summary, scanBytesMax, patternWorkMax } = this.compiled;
    const { budget, work, tally, masker } = this;
    budget.reset(scanBytesMax);
    work.reset(patternWorkMax);
    tally.reset();
    // Whether the record may already carry a summary (an earlier audit_mask): unknown unless its attributes were read.
    let summaryPresent = true;
    if (this.compiled.applyToAttributes)
      summaryPresent = maskAttributes(record, masker, tally.paths !== undefined);
    if (this.compiled.applyToBody) {
      const body = record.getBody();
      if (body !== undefined) {
        const outcome = masker.maskValue(body, 1, 'body', false);
        if (outcome !== KEEP && outcome !== DROP) record.setBody(outcome);
      }
    }
    if (summary !== 'silent' && (tally.count > 0 || budget.unscannedBytes > 0)) {
      writeMaskSummary(record, tally, budget.unscannedBytes, summaryPresent);
    }
    return true;
  }
}

/**
 * Attributes in order. With duplicate keys (which OTLP forbids but a sender
 * can still send) the view can only hold one entry per key: when any of them
 * is masked, the masked value replaces them all. Returns whether the record
 * has a summary attribute (`audit.mask.*`).
 */
function maskAttributes(record: MutableLogRecordView, masker: ValueMasker, paths: boolean): boolean {
  const attributes = record.attributes();
  let summaryPresent = false;
  for (let i = 0; i < attributes.length; i++) {
    const { key, value } = attributes[i] as KeyValue;
    if (key.startsWith(SUMMARY_PREFIX)) {
      summaryPresent = true;
      continue;
    }
    const outcome = masker.maskEntry(key, value, 1, paths ? `attributes[${JSON.stringify(key)}]` : '');
    if (outcome === KEEP) continue;
    if (outcome === DROP || hasDuplicate(attributes, i)) record.deleteAttribute(key);
    if (outcome !== DROP) record.setAttribute(key, outcome);
  }
  return summaryPresent;
}

/** True when another attribute has the key of attribute `i`. */
function hasDuplicate(attributes: readonly KeyValue[], i: number): boolean {
  const key = (attributes[i] as KeyValue).key;
  for (let j = 0; j < attributes.length; j++)
    if (j !== i && (attributes[j] as KeyValue).key === key) return true;
  return false;
}
