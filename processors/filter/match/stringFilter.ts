/**
 * The Collector's `filterset`: a list of strings a field must match — exact
 * equality for `match_type: strict`, an unanchored regular expression for
 * `match_type: regexp` (a value over the regex input cap is not tested: the answer is `overCap`,
 * false unless the caller says otherwise).
 */
import { compileRegex, regexMatches } from './regex.ts';
import type { ProblemList, ProblemPath } from './problems.ts';

export type MatchType = 'strict' | 'regexp';

export type StringFilter = (value: string) => boolean;

export function compileStringFilter(
  items: readonly string[],
  matchType: MatchType | undefined,
  problems: ProblemList,
  path: ProblemPath,
  /** The answer for a value over a regex's input cap (see `regexMatches`). */
  overCap = false,
): StringFilter | undefined {
  if (matchType === 'strict') {
    const set = new Set(items);
    return (value) => set.has(value);
  }
  if (matchType === 'regexp') {
    const regexes: RegExp[] = [];
    items.forEach((item, index) => {
      const compiled = compileRegex(item);
      if (compiled.ok) regexes.push(compiled.regex);
      else problems.add([...path, index], compiled.message);
    });
    return (value) => regexes.some((regex) => regexMatches(regex, value, overCap));
  }
  return undefined;
}
