import { describe, expect, it } from 'vitest';
import type { AnyValue } from '../../../src/record/AnyValue.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../../src/record/AuditRecordView.ts';
import { REGEX_INPUT_LENGTH_MAX } from '../match/regex.ts';
import { ottlCompare } from './compare.ts';
import { compileCondition } from './compile.ts';
import { OttlRuntimeError } from './errors.ts';
import type { CompareOp } from './tokens.ts';

const record = createAuditRecord({
  resource: createAuditResource({ attributes: [{ key: 'host.name', value: 'localhost' }] }),
  scope: createAuditScope({
    name: 'auth-lib',
    version: '1.2.0',
    attributes: [{ key: 'lib.kind', value: 'sdk' }],
  }),
  severityNumber: 13,
  severityText: 'WARN',
  eventName: 'login',
  body: {
    values: [
      { key: 'user', value: 'ann' },
      { key: 'tags', value: ['a', 'b'] },
      { key: 'n', value: 3n },
    ],
  },
  attributes: [
    { key: 'str', value: 'pass' },
    { key: 'int', value: 42n },
    { key: 'big', value: 9007199254740993n },
    { key: 'dbl', value: 1.5 },
    { key: 'bool', value: true },
    { key: 'bytes', value: Uint8Array.of(0xca, 0xfe) },
    { key: 'empty', value: null },
    { key: 'nested', value: { values: [{ key: 'deep', value: { values: [{ key: 'x', value: 'y' }] } }] } },
    { key: 'dup', value: 'first' },
    { key: 'dup', value: 'second' },
  ],
  traceId: '0102030405060708090a0b0c0d0e0f10',
  timeUnixNano: 1_700_000_000_000_000_000n,
});

const holds = (text: string, on: AuditRecord = record) =>
  compileCondition(text).evaluate(auditRecordView(on));
const failure = (text: string, on: AuditRecord = record) => {
  try {
    holds(text, on);
  } catch (err) {
    if (err instanceof OttlRuntimeError) return err.message;
    throw err;
  }
  throw new Error(`expected ${text} to fail at run time`);
};

describe('OTTL paths', () => {
  it('reads every supported path', () => {
    const truths = [
      'severity_number == 13',
      'severity_number == SEVERITY_NUMBER_WARN',
      'severity_text == "WARN"',
      'event_name == "login"',
      'body["user"] == "ann"',
      'body["tags"][1] == "b"',
      'attributes["str"] == "pass"',
      'attributes["nested"]["deep"]["x"] == "y"',
      'attributes["dup"] == "first"',
      'resource.attributes["host.name"] == "localhost"',
      'instrumentation_scope.name == "auth-lib"',
      'instrumentation_scope.version == "1.2.0"',
      'instrumentation_scope.attributes["lib.kind"] == "sdk"',
      'scope.name == "auth-lib"',
      'log.body["n"] == 3',
      'log.attributes["int"] == 42',
      'trace_id.string == "0102030405060708090a0b0c0d0e0f10"',
      'span_id.string == "0000000000000000"',
      'time_unix_nano == 1700000000000000000',
      'observed_time_unix_nano == 0',
      'flags == 0 and dropped_attributes_count == 0',
      'IsMap(attributes) and IsMap(resource.attributes) and IsMap(body)',
    ];
    for (const text of truths) expect(holds(text), text).toBe(true);
  });

  it('gives nil for missing keys and empty values', () => {
    expect(holds('attributes["missing"] == nil')).toBe(true);
    expect(holds('attributes["empty"] == nil')).toBe(true);
    expect(holds('attributes["nested"]["nope"]["x"] == nil')).toBe(true);
    expect(holds('body == nil', createAuditRecord())).toBe(true);
    expect(holds('body == nil', createAuditRecord({ body: null }))).toBe(true);
  });

  it('fails at run time when a value cannot be indexed, as OTTL does', () => {
    expect(failure('attributes["str"]["x"] == 1')).toBe('a value of type Str cannot be indexed');
    expect(failure('body["tags"][2] == 1')).toBe('index 2 out of bounds');
    expect(failure('body["tags"]["x"] == 1')).toBe('a list must be indexed by an int');
    expect(failure('body[0] == 1')).toBe('a map must be indexed by a string key');
    expect(failure('body["x"] == 1', createAuditRecord())).toBe('a value of type Empty cannot be indexed');
  });
});

describe('OTTL comparisons', () => {
  it('supports each operator on ints, doubles, strings, bools and bytes', () => {
    const cases: [string, boolean][] = [
      ['attributes["int"] == 42', true],
      ['attributes["int"] != 42', false],
      ['attributes["int"] < 43', true],
      ['attributes["int"] <= 42', true],
      ['attributes["int"] > 42', false],
      ['attributes["int"] >= 42', true],
      ['attributes["int"] == 42.0', true],
      ['attributes["dbl"] > 1', true],
      ['attributes["dbl"] < 1.25', false],
      ['attributes["str"] < "pat"', true],
      ['attributes["str"] <= "pas"', false],
      ['attributes["str"] > "pas"', true],
      ['attributes["str"] >= "pass"', true],
      ['attributes["bool"] == true', true],
      ['attributes["bool"] > false', true],
      ['attributes["bytes"] == 0xcafe', true],
      ['attributes["bytes"] < 0xcaff', true],
      ['attributes["big"] == 9007199254740993', true],
      ['attributes["big"] != 9007199254740992', true],
    ];
    for (const [text, expected] of cases) expect(holds(text), text).toBe(expected);
  });

  it('treats values of different kinds as "not equal", never as an error', () => {
    expect(holds('attributes["str"] == 1')).toBe(false);
    expect(holds('attributes["str"] != 1')).toBe(true);
    expect(holds('attributes["str"] < 1')).toBe(false);
    expect(holds('attributes["str"] > 1')).toBe(false);
    expect(holds('attributes["int"] == "42"')).toBe(false);
    expect(holds('attributes["bool"] == 1')).toBe(false);
    expect(holds('attributes["missing"] < 1')).toBe(false);
    expect(holds('attributes["missing"] != 1')).toBe(true);
    expect(holds('body < 1')).toBe(false);
  });

  it('follows the nil rules', () => {
    const ops: CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];
    expect(ops.map((op) => ottlCompare(null, null, op))).toEqual([true, false, false, true, false, true]);
    expect(ops.map((op) => ottlCompare(null, 'x', op))).toEqual([false, true, false, false, false, false]);
    expect(ops.map((op) => ottlCompare(1n, null, op))).toEqual([false, true, false, false, false, false]);
  });

  it('compares maps and lists by value, only with == and !=', () => {
    const a: AnyValue = {
      values: [
        { key: 'x', value: 1n },
        { key: 'y', value: 'z' },
      ],
    };
    const b: AnyValue = {
      values: [
        { key: 'y', value: 'z' },
        { key: 'x', value: 1n },
      ],
    };
    expect(ottlCompare(a, b, '==')).toBe(true);
    expect(ottlCompare(a, b, '<=')).toBe(false);
    expect(ottlCompare(['a', 1n], ['a', 1n], '==')).toBe(true);
    expect(ottlCompare(['a', 1n], ['a', 1], '==')).toBe(false);
    expect(ottlCompare(a, ['a'], '!=')).toBe(true);
    expect(ottlCompare(NaN, NaN, '==')).toBe(false);
    expect(holds('body == body')).toBe(true);
  });

  it('orders strings by code point, as Go does', () => {
    // U+FF61 is one UTF-16 unit; U+1F600 is a surrogate pair (0xD83D...) that UTF-16 order puts first.
    expect(ottlCompare('\u{1F600}', '\uFF61', '>')).toBe(true);
  });
});

describe('OTTL boolean logic', () => {
  it('applies not, and, or with precedence and parentheses', () => {
    expect(holds('true or false and false')).toBe(true);
    expect(holds('(true or false) and false')).toBe(false);
    expect(holds('not false and false')).toBe(false);
    expect(holds('not (false and false)')).toBe(true);
    expect(holds('not severity_number < 9 and severity_text == "WARN"')).toBe(true);
    expect(holds('severity_number < 9 or not (event_name != "login")')).toBe(true);
  });

  it('short-circuits: a term that would fail is not evaluated', () => {
    expect(holds('false and attributes["str"]["x"] == 1')).toBe(false);
    expect(holds('true or attributes["str"]["x"] == 1')).toBe(true);
    expect(failure('true and attributes["str"]["x"] == 1')).toBe('a value of type Str cannot be indexed');
  });
});

describe('OTTL converters', () => {
  it('IsMatch tests the string form of its target', () => {
    expect(holds('IsMatch(attributes["str"], "^pa")')).toBe(true);
    expect(holds('IsMatch(attributes["int"], "^42$")')).toBe(true);
    expect(holds('IsMatch(attributes["dbl"], "^1\\\\.5$")')).toBe(true);
    expect(holds('IsMatch(attributes["bool"], "true")')).toBe(true);
    expect(holds('IsMatch(attributes["bytes"], "^cafe$")')).toBe(true);
    expect(holds('IsMatch(body, "\\"user\\":\\"ann\\"")')).toBe(true);
    expect(holds('IsMatch(attributes["missing"], ".*")')).toBe(false);
    expect(holds('IsMatch(severity_text, "(?i)^warn$")')).toBe(true);
    expect(holds('IsMatch(event_name, "^(?P<word>log)in$")')).toBe(true);
    expect(holds('IsMatch(body, "x") == false')).toBe(true);
  });

  it('IsMatch fails at run time on values it cannot test', () => {
    const long = createAuditRecord({ body: 'a'.repeat(REGEX_INPUT_LENGTH_MAX + 1) });
    expect(failure('IsMatch(body, "b")', long)).toBe(
      `IsMatch: the value is ${REGEX_INPUT_LENGTH_MAX + 1} characters long, over the limit of ${REGEX_INPUT_LENGTH_MAX} for this pattern`,
    );
    // A pattern whose worst case is quadratic is tested on at most 4,096 characters (backtracking.ts).
    const quadratic = 'IsMatch(body, "\\\\d+x")';
    expect(holds(quadratic, createAuditRecord({ body: '1'.repeat(4095) + 'x' }))).toBe(true);
    expect(failure(quadratic, createAuditRecord({ body: '1'.repeat(4097) }))).toBe(
      'IsMatch: the value is 4097 characters long, over the limit of 4096 for this pattern',
    );
    // A leading .* changes nothing to whether it matches: tested as "x", on up to 16,384 characters.
    expect(holds('IsMatch(body, ".*x")', createAuditRecord({ body: 'a'.repeat(16_000) + 'x' }))).toBe(true);
    expect(
      holds('IsMatch(body, "a$")', createAuditRecord({ body: 'a'.repeat(REGEX_INPUT_LENGTH_MAX) })),
    ).toBe(true);
    expect(failure('IsMatch(body, "x")', createAuditRecord({ body: NaN }))).toBe(
      'unsupported value NaN: cannot be made a string',
    );
  });

  it('IsString, IsInt, IsDouble, IsBool, IsMap, IsList test the kind', () => {
    expect(holds('IsString(attributes["str"]) and not IsString(attributes["int"])')).toBe(true);
    expect(holds('IsInt(attributes["int"]) and IsInt(1) and not IsInt(1.0)')).toBe(true);
    expect(holds('IsDouble(attributes["dbl"]) and not IsDouble(attributes["int"])')).toBe(true);
    expect(holds('IsBool(attributes["bool"]) and IsBool(false)')).toBe(true);
    expect(holds('IsList(body["tags"]) and not IsList(body)')).toBe(true);
    expect(holds('IsString(attributes["missing"]) or IsMap(nil)')).toBe(false);
  });
});
