/**
 * ReDoS: the redaction processor's user patterns are RE2 (linear time) and
 * pay for their work from a per-record budget; what the budget cannot pay
 * for gets the safe answer. Tested by counters, not by timing.
 */
import { describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { patternWorkUnits } from '../audit_mask/engine/linearRegex.ts';
import { PATTERN_WORK_UNITS_DEFAULT, PatternWork } from '../audit_mask/engine/PatternWork.ts';
import { ProblemList } from '../filter/match/problems.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { compileRedaction } from './compileRedaction.ts';
import { createDefaultRedactionConfig, redactionConfigSchema, type RedactionConfig } from './config.ts';
import { redactionProcessorFactory } from './factory.ts';
import { RedactionRules } from './RedactionRules.ts';

const ADVERSARIAL = '\\w{0,255}\\w{0,255}x';

function config(overrides: Partial<RedactionConfig>): RedactionConfig {
  return redactionConfigSchema.parse({ ...createDefaultRedactionConfig(), ...overrides });
}

function rules(overrides: Partial<RedactionConfig>): RedactionRules {
  return new RedactionRules(compileRedaction(config(overrides), new ProblemList()));
}

describe('redaction pattern work', () => {
  it('gives the safe answer when the budget cannot pay, and counts it', () => {
    const r = rules({
      ignored_key_patterns: ['^safe'],
      blocked_key_patterns: ['^pass'],
      allowed_values: ['^ok$'],
      blocked_values: ['[0-9]{4}'],
    });
    const empty = new PatternWork(0);
    expect(r.ignoreKey('safe_key', empty)).toBe(false); // not ignored
    expect(r.maskKey('user', empty)).toBe(true); // masked whole
    expect(r.allowValue('ok', empty)).toBe(false); // not allowed
    expect(r.maskBlockedValues('no digits', empty)).toBe('****'); // masked whole
    expect(empty.refused).toBe(4);
    const paid = new PatternWork(PATTERN_WORK_UNITS_DEFAULT);
    expect(r.ignoreKey('safe_key', paid)).toBe(true);
    expect(r.maskKey('user', paid)).toBe(false);
    expect(r.allowValue('ok', paid)).toBe(true);
    expect(r.maskBlockedValues('pin 1234', paid)).toBe('pin ****');
    expect(paid.refused).toBe(0);
  });

  it('charges each pattern run its input length times its program size', () => {
    const r = rules({ blocked_values: [ADVERSARIAL] });
    const regex = r.compiled.blockedValues[0];
    if (regex === undefined) throw new Error('not compiled');
    const work = new PatternWork(PATTERN_WORK_UNITS_DEFAULT);
    expect(r.maskBlockedValues('aax', work)).toBe('****');
    expect(work.used).toBe(patternWorkUnits(regex, 'aax'));
    expect(work.used).toBe(4 * regex.costPerChar);
  });

  it('bounds a record: with the adversarial pattern a second long value is masked whole, unexamined', () => {
    const long = ('a'.repeat(600) + 'x').repeat(26); // 15,626 characters: under the 16,384 input cap
    const record: AuditRecord = createAuditRecord({
      attributes: [
        { key: 'a', value: long },
        { key: 'b', value: `${long}!` },
      ],
    });
    const processor = redactionProcessorFactory.create(
      testSettings('redaction'),
      config({ allow_all_keys: true, blocked_values: [ADVERSARIAL] }),
    );
    processor.process(auditRecordView(record));
    const get = (key: string) => record.attributes.find((kv) => kv.key === key)?.value;
    // `a` was searched: each x and up to 510 word characters before it are masked, the rest kept.
    expect(String(get('a'))).toMatch(/^(?:a{90}\*{4}){26}$/);
    // `b` would have cost more than what is left of the record's budget: masked whole.
    expect(get('b')).toBe('****');
  });
});
