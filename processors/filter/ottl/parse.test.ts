import { describe, expect, it } from 'vitest';
import { compileCondition } from './compile.ts';
import { OttlParseError } from './errors.ts';
import { OTTL_CONDITION_LENGTH_MAX, OTTL_NESTING_DEPTH_MAX } from './limits.ts';
import { parseCondition } from './parse.ts';
import { tokenize } from './tokenize.ts';

/** The parse error of `text` as "column: detail". */
function errorOf(text: string): string {
  try {
    compileCondition(text);
  } catch (err) {
    if (err instanceof OttlParseError) {
      expect(err.code).toBe('CONFIG_INVALID');
      return `${err.column}: ${err.detail}`;
    }
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('OTTL tokenizer', () => {
  it('reads literals', () => {
    const values = tokenize('"a\\"b\\n\\u00e9\\x41\\101" 42 -7 +3 1.5 -.5 2.5e3 0x0aFF').map((t) =>
      'value' in t ? t.value : t.kind,
    );
    expect(values).toEqual(['a"b\néAA', 42n, -7n, 3n, 1.5, -0.5, 2500, Uint8Array.of(0x0a, 0xff), 'eof']);
  });

  it('reads int64 extremes exactly and rejects beyond', () => {
    expect(
      tokenize('9223372036854775807 -9223372036854775808').map((t) => ('value' in t ? t.value : null)),
    ).toEqual([9223372036854775807n, -9223372036854775808n, null]);
    expect(errorOf('severity_number == 9223372036854775808')).toBe(
      '20: the integer 9223372036854775808 is outside the int64 range',
    );
  });

  it('rejects what is not in the subset, with its column', () => {
    expect(errorOf('severity_number + 1 > 2')).toBe('17: "+": math expressions are not supported');
    expect(errorOf('body == {"a": 1}')).toBe('9: "{": map literals are not supported');
    expect(errorOf('a == 1 && b == 2')).toBe('8: "&": use "and" to combine conditions');
    expect(errorOf("body == 'x'")).toBe('9: "\'": strings are written in double quotes');
    expect(errorOf('body = "x"')).toBe('6: use "==" to compare (named arguments are not supported)');
    expect(errorOf('!IsString(body)')).toBe('1: use "not" to negate, or "!=" to compare');
    expect(errorOf('body == "abc')).toBe('9: unterminated string');
    expect(errorOf('body == "\\q"')).toBe('10: invalid escape "\\q" in a string');
    expect(errorOf('body == "\\xff"')).toBe(
      '10: byte escapes above 0x7f are not supported in strings; use \\u',
    );
    expect(errorOf('body == 0xabc')).toBe('9: a byte literal needs an even number of hex digits after 0x');
    expect(errorOf('severity_number == 1.')).toBe('20: invalid number "1."');
    expect(errorOf('severity_number == 12abc')).toBe('20: invalid number "12a"');
    expect(errorOf('body == "x" ; true')).toBe('13: unexpected character ";"');
  });
});

describe('OTTL parser', () => {
  it('gives "not" precedence over "and", and "and" over "or"', () => {
    const tree = parseCondition('not true and false or true');
    expect(tree).toMatchObject({
      kind: 'or',
      terms: [
        { kind: 'and', terms: [{ kind: 'not', operand: { kind: 'bool', value: true } }, { kind: 'bool' }] },
        { kind: 'bool' },
      ],
    });
    expect(parseCondition('not (true or false)')).toMatchObject({ kind: 'not', operand: { kind: 'or' } });
    expect(parseCondition('not severity_number == 1')).toMatchObject({
      kind: 'not',
      operand: { kind: 'compare' },
    });
  });

  it('parses paths with keys and converters with arguments', () => {
    expect(parseCondition('resource.attributes["a"][0] != nil')).toMatchObject({
      kind: 'compare',
      op: '!=',
      left: { kind: 'path', segments: ['resource', 'attributes'], keys: [{ value: 'a' }, { value: 0n }] },
      right: { kind: 'literal', value: null },
    });
    expect(parseCondition('IsMatch(body, "x")')).toMatchObject({
      kind: 'callBool',
      call: { name: 'IsMatch', args: [{ kind: 'path' }, { kind: 'literal', value: 'x' }] },
    });
  });

  it('reports syntax errors with their column', () => {
    expect(errorOf('')).toBe('1: the condition is empty');
    expect(errorOf('severity_number')).toBe(
      '16: expected a comparison operator (==, !=, <, <=, >, >=), found the end of the condition: only true, false and converters such as IsMatch(...) are conditions by themselves',
    );
    expect(errorOf('body == "a" and')).toBe('16: expected a value, found the end of the condition');
    expect(errorOf('(body == "a"')).toBe(
      '13: expected ")" to close the "(" at column 1, found the end of the condition',
    );
    expect(errorOf('body == "a")')).toBe('12: unexpected ")"; expected "and", "or" or the end');
    expect(errorOf('body == "a" body')).toBe('13: unexpected "body"; expected "and", "or" or the end');
    expect(errorOf('body == and')).toBe('9: expected a value, found "and"');
    expect(errorOf('attributes[x] == 1')).toBe('12: a key must be a string or an int literal, found "x"');
    expect(errorOf('body == [1, 2]')).toBe('9: list literals are not supported');
    expect(errorOf('(severity_number) == 1')).toMatch(/^17: expected a comparison operator/);
    expect(errorOf('set(attributes["a"], 1)')).toBe(
      '1: "set" is an editor; only converters (capitalized) can be used in conditions',
    );
    expect(errorOf('IsMatch(body, "a")["k"]')).toBe("19: indexing a converter's result is not supported");
    expect(errorOf('body == Foo')).toBe('9: "Foo" looks like a converter but is not called: write Foo(...)');
  });

  it('reports unknown names and wrong arguments with their column', () => {
    expect(errorOf('attributs["a"] == 1')).toMatch(
      /^1: unknown path "attributs"; supported paths: body, attributes\["key"\], /,
    );
    expect(errorOf('severity_number == SEVERITY_NUMBER_LOUD')).toMatch(
      /^20: unknown enum "SEVERITY_NUMBER_LOUD"/,
    );
    expect(errorOf('true and IsMatchh(body, "x")')).toMatch(
      /^10: unknown or unsupported converter "IsMatchh"; supported: IsMatch, /,
    );
    expect(errorOf('IsMatch(body)')).toBe('1: IsMatch takes 2 argument(s) (target, pattern), got 1');
    expect(errorOf('IsMatch(body, attributes["p"])')).toBe("15: IsMatch's pattern must be a string literal");
    expect(errorOf('IsMatch(body, "(")')).toMatch(/^15: invalid regular expression "\(": /);
    expect(errorOf('severity_number["a"] == 1')).toBe('17: "severity_number" cannot be indexed');
    expect(errorOf('attributes[0] == 1')).toBe('12: "attributes" must be indexed by a string key');
    expect(errorOf('log.resource.attributes["a"] == 1')).toMatch(
      /^1: unknown path "log.resource.attributes"/,
    );
  });

  it('bounds length and nesting depth', () => {
    expect(errorOf('x'.repeat(OTTL_CONDITION_LENGTH_MAX + 1))).toBe(
      `1: the condition is longer than ${OTTL_CONDITION_LENGTH_MAX} characters`,
    );
    const deep = (n: number) => `${'('.repeat(n)}true${')'.repeat(n)}`;
    expect(() => compileCondition(deep(OTTL_NESTING_DEPTH_MAX - 1))).not.toThrow();
    expect(errorOf(deep(OTTL_NESTING_DEPTH_MAX + 1))).toMatch(/nested deeper than 32 levels$/);
    expect(errorOf(`${'not '.repeat(OTTL_NESTING_DEPTH_MAX + 1)}true`)).toMatch(
      /nested deeper than 32 levels$/,
    );
  });
});
