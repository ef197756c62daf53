/**
 * The converters of the subset. Each returns a bool, so it can stand alone
 * as a condition or be compared (`IsMatch(body, "x") == false`).
 * - `IsMatch(target, "pattern")`: the pattern is a string literal, compiled
 *   once (see ../match/regex.ts); the target is converted as OTTL's
 *   StringLikeGetter does; nil is false. A target text longer than
 *   its input cap (regexInputLengthMax: REGEX_INPUT_LENGTH_MAX, lower for a
 *   pattern whose worst case is above linear: 4,096 / 256 / 64 for n^2 / n^3 / n^4) is a runtime error (error_mode decides).
 * - `IsString(v)`, `IsInt(v)`, `IsDouble(v)`, `IsBool(v)`, `IsMap(v)`,
 *   `IsList(v)`: the kind of the value (nil is none of them).
 */
import { isKeyValueList, type AnyValue } from '../../../src/record/AnyValue.ts';
import { compileRegex, regexTester } from '../match/regex.ts';
import type { CallNode, ValueNode } from './ast.ts';
import { OttlParseError, OttlRuntimeError } from './errors.ts';
import type { Getter } from './paths.ts';
import { stringLike } from './stringLike.ts';

type CompileValue = (node: ValueNode) => Getter;

interface Converter {
  readonly parameters: readonly string[];
  compile(call: CallNode, compileValue: CompileValue): Getter;
}

const kindTest = (test: (value: AnyValue) => boolean): Converter => ({
  parameters: ['value'],
  compile: (call, compileValue) => {
    const value = compileValue(argument(call, 0));
    return (record) => test(value(record));
  },
});

const CONVERTERS: ReadonlyMap<string, Converter> = new Map<string, Converter>([
  ['IsMatch', { parameters: ['target', 'pattern'], compile: compileIsMatch }],
  ['IsString', kindTest((v) => typeof v === 'string')],
  ['IsInt', kindTest((v) => typeof v === 'bigint')],
  ['IsDouble', kindTest((v) => typeof v === 'number')],
  ['IsBool', kindTest((v) => typeof v === 'boolean')],
  ['IsMap', kindTest((v) => isKeyValueList(v))],
  ['IsList', kindTest((v) => Array.isArray(v))],
]);

export const SUPPORTED_CONVERTERS: readonly string[] = [...CONVERTERS.keys()];

export function compileCall(call: CallNode, compileValue: CompileValue): Getter {
  const converter = CONVERTERS.get(call.name);
  if (converter === undefined) {
    throw new OttlParseError(
      call.column,
      `unknown or unsupported converter "${call.name}"; supported: ${SUPPORTED_CONVERTERS.join(', ')}`,
    );
  }
  if (call.args.length !== converter.parameters.length) {
    throw new OttlParseError(
      call.column,
      `${call.name} takes ${converter.parameters.length} argument(s) (${converter.parameters.join(', ')}), got ${call.args.length}`,
    );
  }
  return converter.compile(call, compileValue);
}

function argument(call: CallNode, index: number): ValueNode {
  const node = call.args[index];
  if (node === undefined)
    throw new OttlParseError(call.column, `${call.name} is missing argument ${index + 1}`);
  return node;
}

function compileIsMatch(call: CallNode, compileValue: CompileValue): Getter {
  const target = compileValue(argument(call, 0));
  const pattern = argument(call, 1);
  if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') {
    throw new OttlParseError(pattern.column, "IsMatch's pattern must be a string literal");
  }
  const compiled = compileRegex(pattern.value);
  if (!compiled.ok) throw new OttlParseError(pattern.column, compiled.message);
  const { regex, inputLengthMax } = regexTester(compiled.regex);
  return (record) => {
    const text = stringLike(target(record));
    if (text === null) return false;
    if (text.length > inputLengthMax) {
      throw new OttlRuntimeError(
        `IsMatch: the value is ${text.length} characters long, over the limit of ${inputLengthMax} for this pattern`,
      );
    }
    return regex.test(text);
  };
}
