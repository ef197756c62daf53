/**
 * ReDoS: custom patterns run in linear time (RE2) and pay for their work from
 * a per-record budget; a string the budget cannot pay for is redacted whole
 * (`pattern_limit`), never let through and never dropped. The budget is
 * tested by its counters, not by timing (see PatternWork.ts for the
 * measured CPU per unit).
 */
import { describe, expect, it } from 'vitest';
import { compileLinearRegex, patternWorkUnits, type LinearRegex } from './engine/linearRegex.ts';
import { PATTERN_WORK_UNITS_DEFAULT, PatternWork } from './engine/PatternWork.ts';
import { PATTERN_LIMIT, StringScanner } from './engine/StringScanner.ts';
import { attr, mask, withBody } from './testing.ts';

const ADVERSARIAL = '\\w{0,255}\\w{0,255}x';
const MIB = 1024 * 1024;

function regex(pattern: string): LinearRegex {
  const result = compileLinearRegex(pattern);
  if (!result.ok) throw new Error(result.message);
  return result.regex;
}

describe('PatternWork', () => {
  it('charges what it can pay and refuses, counted, what it cannot', () => {
    const work = new PatternWork(100);
    expect(work.take(60)).toBe(true);
    expect(work.take(41)).toBe(false);
    expect(work.take(40)).toBe(true);
    expect(work.take(1)).toBe(false);
    expect({ used: work.used, refused: work.refused }).toEqual({ used: 100, refused: 2 });
  });
});

describe('custom pattern work', () => {
  it('is the input length times the RE2 program size, charged before the pattern runs', () => {
    const adversarial = regex(ADVERSARIAL);
    expect(adversarial.costPerChar).toBeGreaterThan(1000);
    const scanner = new StringScanner([], [{ type: 'x', regex: adversarial }]);
    const text = 'a'.repeat(600) + 'x';
    const work = new PatternWork(PATTERN_WORK_UNITS_DEFAULT);
    const spans = scanner.scan(text, work);
    expect(work.used).toBe(patternWorkUnits(adversarial, text));
    expect(work.used).toBe((text.length + 1) * adversarial.costPerChar);
    expect(spans).not.toBe(PATTERN_LIMIT);
    // Leftmost-first: the match starts at the first `a` the two repetitions (510 max) can reach `x` from.
    expect(spans).toEqual([{ start: 90, end: 601, type: 'x' }]);
  });

  it('refuses a 1 MiB string for the adversarial pattern: the budget bounds the work, whatever the input', () => {
    const scanner = new StringScanner([], [{ type: 'x', regex: regex(ADVERSARIAL) }]);
    const work = new PatternWork(PATTERN_WORK_UNITS_DEFAULT);
    expect(scanner.scan(('a'.repeat(600) + 'x').repeat(Math.ceil(MIB / 601)), work)).toBe(PATTERN_LIMIT);
    expect({ used: work.used, refused: work.refused }).toEqual({ used: 0, refused: 1 });
  });

  it('redacts the whole 1 MiB value as pattern_limit, and counts it in the summary', () => {
    const body = ('a'.repeat(600) + 'x').repeat(Math.floor(MIB / 601));
    const record = mask(withBody(body, [{ key: 'note', value: 'aax' }]), {
      custom_patterns: [{ name: 'wide', pattern: ADVERSARIAL }],
    });
    expect(attr(record, 'note')).toBe('[REDACTED:wide]'); // attributes come first and are cheap
    expect(record.body).toBe('[REDACTED:pattern_limit]');
    expect(attr(record, 'audit.mask.types')).toEqual(['pattern_limit', 'wide']);
    expect(attr(record, 'audit.mask.count')).toBe(2n);
  });

  it('scans a 1 MiB value with a cheap pattern within the default budget', () => {
    const body = `${'z'.repeat(MIB - 20)} EMP-123456`;
    const record = mask(withBody(body), { custom_patterns: [{ name: 'employee', pattern: 'EMP-[0-9]{6}' }] });
    expect(String(record.body).endsWith(' [REDACTED:employee]')).toBe(true);
  });

  it('is per record: a budget spent by earlier strings redacts the later ones, not the next record', () => {
    const cost = regex('EMP-[0-9]{6}').costPerChar;
    const value = 'EMP-123456 and more text';
    const overrides = {
      custom_patterns: [{ name: 'employee', pattern: 'EMP-[0-9]{6}' }],
      pattern_work_max: (value.length + 1) * cost,
    };
    const record = mask(
      withBody(value, [
        { key: 'a', value },
        { key: 'b', value },
      ]),
      overrides,
    );
    expect(attr(record, 'a')).toBe('[REDACTED:employee] and more text');
    expect(attr(record, 'b')).toBe('[REDACTED:pattern_limit]');
    expect(record.body).toBe('[REDACTED:pattern_limit]');
    const next = mask(withBody(value), overrides);
    expect(next.body).toBe('[REDACTED:employee] and more text');
  });

  it('costs nothing without custom patterns', () => {
    const record = mask(withBody('a'.repeat(MIB - 1)), { pattern_work_max: 1 });
    expect(record.body).toBe('a'.repeat(MIB - 1));
  });
});
