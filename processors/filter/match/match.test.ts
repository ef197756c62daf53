import { describe, expect, it } from 'vitest';
import { asString, compareCodePoints, formatDoubleFixed, toJson } from './anyValueText.ts';
import { collectorEquals } from './collectorEquals.ts';
import { compileRegex, REGEX_INPUT_LENGTH_MAX, regexMatches } from './regex.ts';
import { severityNumberOfName } from './severity.ts';
import { yamlToAnyValue } from './yamlValue.ts';

const regex = (pattern: string) => {
  const compiled = compileRegex(pattern);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.regex;
};

describe('RE2 patterns in JavaScript', () => {
  it('translates named groups, leading flags and needless escapes', () => {
    expect(regex('^(?P<a>x)').exec('x')?.groups).toEqual({ a: 'x' });
    expect(regex('(?is)^a.b$').test('A\nB')).toBe(true);
    expect(regex('a\\&b\\-c\\#d').test('a&b-c#d')).toBe(true);
    expect(regex('[\\-\\&]').test('&')).toBe(true);
    expect(regex('\\(?P<x>').test('(?P<x>')).toBe(true); // escaped: not a group
    expect(regex('[(?P<]').test('P')).toBe(true); // inside a class: not a group
  });

  it('rejects invalid and overlong patterns, and leaves overlong input untested', () => {
    expect(compileRegex('a(').ok).toBe(false);
    expect(compileRegex('\\z').ok).toBe(false);
    expect(compileRegex('a'.repeat(5000))).toEqual({
      ok: false,
      message: 'the pattern is longer than 4096 characters',
    });
    expect(regexMatches(regex('a'), 'a'.repeat(REGEX_INPUT_LENGTH_MAX))).toBe(true);
    expect(regexMatches(regex('a'), 'a'.repeat(REGEX_INPUT_LENGTH_MAX + 1))).toBe(false);
  });
});

describe('text forms of values', () => {
  it('formats doubles like Go', () => {
    expect([1e21, 1.5e-7, -0.000123, 123.456, 5e-324].map(formatDoubleFixed)).toEqual([
      '1000000000000000000000',
      '0.00000015',
      '-0.000123',
      '123.456',
      `0.${'0'.repeat(323)}5`,
    ]);
    expect([1e21, 1e-7, -0, NaN, Infinity].map((x) => asString(x))).toEqual([
      '1e+21',
      '1e-7',
      '-0',
      'NaN',
      '+Inf',
    ]);
  });

  it('encodes JSON like encoding/json', () => {
    expect(
      toJson({
        values: [
          { key: 'b', value: 1n },
          { key: 'a', value: 'x\n"&' },
          { key: 'b', value: 2n },
        ],
      }),
    ).toBe('{"a":"x\\n\\"\\u0026","b":2}');
    expect(toJson([NaN])).toBeUndefined();
    expect(asString([Infinity])).toBe('');
  });

  it('orders strings by code point', () => {
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('\u{10000}', '\uffff')).toBeGreaterThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
  });
});

describe('YAML values', () => {
  it('maps YAML kinds onto AnyValues', () => {
    expect(yamlToAnyValue({ i: 1, d: 1.5, s: 's', b: false, n: null, l: [1, [2.5]] })).toEqual({
      ok: true,
      value: {
        values: [
          { key: 'i', value: 1n },
          { key: 'd', value: 1.5 },
          { key: 's', value: 's' },
          { key: 'b', value: false },
          { key: 'n', value: null },
          { key: 'l', value: [1n, [2.5]] },
        ],
      },
    });
    expect(yamlToAnyValue(2 ** 53)).toMatchObject({ ok: false });
    expect(yamlToAnyValue(2n ** 63n)).toMatchObject({ ok: false });
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(yamlToAnyValue(deep)).toMatchObject({ ok: false, message: 'is nested deeper than 32 levels' });
  });
});

describe('helpers', () => {
  it('names severities', () => {
    expect(['INFO', 'warn2', '24', '0', '25', '09', 'LOUD', ''].map(severityNumberOfName)).toEqual([
      9,
      14,
      24,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('compares values as pdata does', () => {
    expect(collectorEquals(1n, 1)).toBe(false);
    expect(collectorEquals(0, -0)).toBe(true);
    expect(collectorEquals(Uint8Array.of(1), Uint8Array.of(1))).toBe(true);
    expect(
      collectorEquals({ values: [{ key: 'a', value: 1n }] }, { values: [{ key: 'a', value: 2n }] }),
    ).toBe(false);
  });
});
