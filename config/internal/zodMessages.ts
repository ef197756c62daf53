/**
 * Messages for zod issues, phrased for a configuration file:
 * `expected one of fdatasync|fsync|none, got "sometimes"`,
 * `has invalid keys: htttp (did you mean "http"?)`, `is required (expected a string)`.
 * Used as the per-parse error map, so a message a component schema sets itself wins.
 */
import type { z } from 'zod';
import { describeValue } from './plain.ts';
import { suggest } from './suggest.ts';

const VALID_KEYS_LISTED_MAX = 20;

export function zodMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `is required (expected ${typeLabel(issue.expected)})`;
      return `expected ${typeLabel(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      if (issue.values.length === 1) {
        return `expected ${JSON.stringify(issue.values[0])}, got ${describeValue(issue.input)}`;
      }
      return `expected one of ${issue.values.map(String).join('|')}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return invalidKeysMessage(issue.keys, objectKeys(issue.inst));
    case 'too_small':
      return sizeMessage(issue.origin, 'at least', 'more than', issue.minimum, issue.inclusive, issue.exact);
    case 'too_big':
      return sizeMessage(issue.origin, 'at most', 'less than', issue.maximum, issue.inclusive, issue.exact);
    case 'invalid_format':
      if (issue.format === 'regex' && typeof issue.pattern === 'string') {
        return `must match the pattern ${issue.pattern}, got ${describeValue(issue.input)}`;
      }
      return `expected a valid ${issue.format}, got ${describeValue(issue.input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `does not match any of the allowed forms (got ${describeValue(issue.input)})`;
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid element';
    default:
      return 'is invalid';
  }
}

export function invalidKeysMessage(
  keys: readonly string[],
  validKeys: readonly string[] | undefined,
): string {
  let message = `has invalid keys: ${keys.join(', ')}`;
  if (validKeys === undefined) return message;
  const hints = keys.flatMap((key) => {
    const hint = suggest(key, validKeys);
    return hint === undefined ? [] : [{ key, hint }];
  });
  if (hints.length === 1 && keys.length === 1) {
    message += ` (did you mean "${hints[0]?.hint}"?)`;
  } else if (hints.length > 0) {
    message += ` (did you mean ${hints.map(({ key, hint }) => `"${hint}" for "${key}"`).join(', ')}?)`;
  } else if (validKeys.length > 0 && validKeys.length <= VALID_KEYS_LISTED_MAX) {
    message += `; valid keys: ${validKeys.join(', ')}`;
  }
  return message;
}

function typeLabel(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a map';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'undefined':
    case 'never':
      return 'nothing here';
    default:
      return `a ${expected}`;
  }
}

function sizeMessage(
  origin: string,
  inclusiveWord: string,
  exclusiveWord: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
): string {
  const relation = exact === true ? 'exactly' : inclusive === false ? exclusiveWord : inclusiveWord;
  switch (origin) {
    case 'string':
      return Number(bound) === 1 && relation === 'at least'
        ? 'must not be empty'
        : `must be ${relation} ${bound} characters long`;
    case 'array':
    case 'set':
      return Number(bound) === 1 && relation === 'at least'
        ? 'must not be empty'
        : `must have ${relation} ${bound} items`;
    default:
      return `must be ${relation} ${bound}`;
  }
}

/** The keys of the object schema that raised an issue, for "did you mean". */
function objectKeys(inst: unknown): readonly string[] | undefined {
  const def = (inst as { _zod?: { def?: { type?: unknown; shape?: unknown } } } | undefined)?._zod?.def;
  if (def?.type !== 'object' || def.shape === null || typeof def.shape !== 'object') return undefined;
  return Object.keys(def.shape);
}
