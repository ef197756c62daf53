import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeBacktracking, DEGREE_MAX, inputLengthMaxFor, STEPS_MAX } from './backtracking.ts';
import { compileRegex, REGEX_INPUT_LENGTH_MAX, regexMatches, regexTester } from './regex.ts';

const refusal = (pattern: string): string => {
  const r = compileRegex(pattern);
  return r.ok ? 'accepted' : r.message;
};
const degree = (source: string): number | string => {
  const a = analyzeBacktracking(source, 'u');
  return a.ok ? a.degree : 'refused';
};

describe('user regular expressions: bounded backtracking', () => {
  it('refuses exponential patterns at configuration time, saying why', () => {
    expect(refusal('(a+)+$')).toMatch(/refused: a group repeated without bound contains a repetition/);
    expect(refusal('(\\w+\\s?)*$')).toMatch(/contains a repetition/);
    expect(refusal('(a|aa)+$')).toMatch(/contains an alternation/);
    expect(refusal('([a-z]+\\.)+com')).toMatch(/catastrophic backtracking/);
    expect(refusal('(\\d)\\1')).toMatch(/backreferences .* not allowed/);
    expect(refusal('(?P<x>a)\\k<x>')).toMatch(/backreferences/);
  });

  it(`refuses a worst case above n^${DEGREE_MAX}, and names what to change`, () => {
    expect(refusal('.*a.*b.*c.*d')).toMatch(
      /n\^5 steps .* anchor it with \^, drop a leading or repeated \.\*/,
    );
  });

  it('accepts the usual Collector patterns', () => {
    for (const p of [
      '^IMPORTANT',
      'INFO[2-4]?',
      'prefix.*',
      '.*password.*',
      '(?P<user>[a-z]+)@(?P<domain>\\w+)',
      '^/api/v[0-9]+/users/[^/]+$',
      '10\\.\\d+\\.\\d+\\.\\d+',
      '(?:\\d+\\.){3}\\d+',
      '^\\s*(\\w+)\\s*=\\s*(.*)$',
      '^(?P<http_protocol>.*):\\/\\/(?P<http_domain>.*)\\/(?P<http_path>.*)(?:\\?|\\&)(?P<http_query_params>.*)',
    ])
      expect(refusal(p), p).toBe('accepted');
  });

  it('counts the degree: unanchored start, scanning, and each repetition that can give back to what follows', () => {
    expect(degree('^abc$')).toBe(0);
    expect(degree('abc')).toBe(1);
    expect(degree('^\\d+$')).toBe(0); // a repetition that ends the pattern never gives back
    expect(degree('\\d+x')).toBe(2);
    expect(degree('10\\.\\d+\\.\\d+\\.\\d+')).toBe(2); // \d+ cannot match the "." after it
    expect(degree('.*.*x')).toBe(3);
    expect(degree('[a-z]+[a-z0-9]+@')).toBe(3);
    expect(degree('^\\w+\\s*=')).toBe(1); // \s* may be skipped, "=" is not a word character either
    expect(degree('(.*a){3}')).toBe(4); // counted once per bounded repetition
  });

  it('caps the input by degree so that n^degree stays within STEPS_MAX', () => {
    expect([0, 1, 2, 3, 4].map((d) => inputLengthMaxFor(d, REGEX_INPUT_LENGTH_MAX))).toEqual([
      16_384, 16_384, 4_096, 256, 64,
    ]);
    for (const d of [2, 3, 4])
      expect(inputLengthMaxFor(d, REGEX_INPUT_LENGTH_MAX) ** d).toBeLessThanOrEqual(STEPS_MAX);
    const r = compileRegex('\\d+x');
    expect(r.ok && r.inputLengthMax).toBe(4_096);
    if (!r.ok) return;
    expect(regexMatches(r.regex, '1'.repeat(4_095) + 'x')).toBe(true);
    expect(regexMatches(r.regex, '1'.repeat(4_096) + 'x')).toBe(false); // over its cap: never tested
  });

  it('a cubic pattern on a hostile value of its cap length stays fast', () => {
    const r = compileRegex('.*,.*,x');
    if (!r.ok) throw new Error(r.message);
    const start = process.hrtime.bigint();
    r.regex.exec(','.repeat(r.inputLengthMax));
    // ~20 ms measured under load; without the cap, 16,384 characters take minutes.
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(2_000);
  });

  it('tests "matches somewhere" without a leading or trailing .*, with the same answers', () => {
    expect(regexTester((compileRegex('.*password.*') as { regex: RegExp }).regex).regex.source).toBe(
      'password',
    );
    expect(regexTester((compileRegex('.*?x') as { regex: RegExp }).regex).regex.source).toBe('x');
    expect(regexTester((compileRegex('a\\.*') as { regex: RegExp }).regex).regex.source).toBe('a\\.*');
    const patterns = ['.*ab', '.*a.*', '.*?b|c', 'a.*', '.*(?:a|b)c.*', '(?s).*a\\nb.*', '(?m).*^b.*', '.*'];
    for (const p of patterns) {
      const r = compileRegex(p);
      if (!r.ok) throw new Error(r.message);
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', 'x'), maxLength: 12 }), (s) => {
          expect(regexMatches(r.regex, s)).toBe(r.regex.test(s));
        }),
      );
    }
  });
});
