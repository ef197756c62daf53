/**
 * The Collector's `filtermatcher.AttributesMatcher`: a list of
 * `{key, value}` that must ALL match. Without a value, the key must be
 * present. With `match_type: strict` the value must be equal and of the same
 * type (the int 1 does not equal the double 1.0 or the string "1"); with
 * `match_type: regexp` the value must be a string pattern, tested against the
 * attribute's string, bool, int or double value (other kinds never match).
 */
import type { AnyValue } from '../../../src/record/AnyValue.ts';
import { formatDoubleFixed } from './anyValueText.ts';
import { collectorEquals } from './collectorEquals.ts';
import { compileRegex, regexMatches } from './regex.ts';
import type { ProblemList, ProblemPath } from './problems.ts';
import type { MatchType } from './stringFilter.ts';
import { yamlToAnyValue } from './yamlValue.ts';

export interface AttributeSpec {
  readonly key: string;
  /** Absent or null: only the key's presence is tested. */
  readonly value?: unknown;
}

export type AttributeLookup = (key: string) => AnyValue | undefined;

export type AttributesMatcher = (lookup: AttributeLookup) => boolean;

type EntryTest = (value: AnyValue) => boolean;

export function compileAttributesMatcher(
  specs: readonly AttributeSpec[],
  matchType: MatchType | undefined,
  problems: ProblemList,
  path: ProblemPath,
  /** The answer for a value over a regex's input cap (see `regexMatches`). */
  overCap = false,
): AttributesMatcher {
  const entries: { key: string; test: EntryTest | undefined }[] = [];
  specs.forEach((spec, index) => {
    const at = [...path, index];
    if (spec.key === '') problems.add([...at, 'key'], 'must not be empty');
    entries.push({ key: spec.key, test: compileEntryTest(spec, matchType, problems, at, overCap) });
  });
  return (lookup) => {
    for (const entry of entries) {
      const value = lookup(entry.key);
      if (value === undefined) return false;
      if (entry.test !== undefined && !entry.test(value)) return false;
    }
    return true;
  };
}

function compileEntryTest(
  spec: AttributeSpec,
  matchType: MatchType | undefined,
  problems: ProblemList,
  at: ProblemPath,
  overCap: boolean,
): EntryTest | undefined {
  if (spec.value === undefined || spec.value === null) return undefined;
  if (matchType === undefined) {
    problems.add(at, 'matching an attribute value needs match_type (strict or regexp)');
    return undefined;
  }
  if (matchType === 'regexp') {
    if (typeof spec.value !== 'string') {
      problems.add([...at, 'value'], `match_type regexp for "${spec.key}" only supports string values`);
      return undefined;
    }
    const compiled = compileRegex(spec.value);
    if (!compiled.ok) {
      problems.add([...at, 'value'], compiled.message);
      return undefined;
    }
    const regex = compiled.regex;
    return (value) => {
      const text = matchableText(value);
      return text !== undefined && regexMatches(regex, text, overCap);
    };
  }
  const expected = yamlToAnyValue(spec.value);
  if (!expected.ok) {
    problems.add([...at, 'value'], expected.message);
    return undefined;
  }
  const wanted = expected.value;
  return (value) => collectorEquals(wanted, value);
}

/** `attributeStringValue`: the text a regexp is tested against, or undefined for kinds that never match. */
function matchableText(value: AnyValue): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      return formatDoubleFixed(value);
    default:
      return undefined;
  }
}
