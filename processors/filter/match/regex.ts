/**
 * User regular expressions (Collector configs are written for Go's RE2).
 *
 * Patterns are compiled once, at configuration time, as JavaScript regular
 * expressions with the `u` flag, after translating the RE2 spellings that
 * JavaScript lacks: named groups `(?P<name>...)` become `(?<name>...)`;
 * leading inline flags `(?i)`, `(?m)`, `(?s)` (any combination) become
 * regular-expression flags; an escaped ASCII punctuation character that
 * JavaScript's `u` mode does not allow to escape (`\&`, `\#`, `\-` outside a
 * class, ...) becomes the character itself. Other RE2-only syntax (`\z`, `\Q...\E`,
 * `[[:alpha:]]`, `(?U)`) is a configuration error. Matching is unanchored,
 * as Go's `MatchString`.
 *
 * RE2 runs in linear time; JavaScript's engine backtracks. To bound the work
 * a record can cause, a pattern that can backtrack catastrophically (nested
 * or overlapping repetitions, backreferences: see backtracking.ts) is a
 * configuration error, and a value longer than the pattern's input cap —
 * `REGEX_INPUT_LENGTH_MAX` (16,384 UTF-16 code units), less for a pattern
 * whose worst case is above linear: 4,096 / 256 / 64 for degree 2 / 3 / 4
 * (backtracking.ts) — is never tested (callers decide what that means: no
 * match, or a runtime error). "Does it match somewhere" drops a leading and
 * a trailing `.*` first (`regexTester`): same answer, lower degree.
 */

import { analyzeBacktracking, inputLengthMaxFor } from './backtracking.ts';

export const REGEX_INPUT_LENGTH_MAX = 16_384;
export const REGEX_PATTERN_LENGTH_MAX = 4_096;

export type RegexResult =
  | {
      readonly ok: true;
      /** The pattern as written (for `exec`: captures are as the user wrote them). */
      readonly regex: RegExp;
      /** The longest value `regex` may be run on. */
      readonly inputLengthMax: number;
    }
  | { readonly ok: false; readonly message: string };

/** How to answer "does it match somewhere?" cheaply: an equivalent pattern, and its input cap. */
export interface RegexTester {
  readonly regex: RegExp;
  readonly inputLengthMax: number;
}

const testers = new WeakMap<RegExp, RegexTester>();
const execCaps = new WeakMap<RegExp, number>();

/** The longest value `regex` (from `compileRegex`) may be run on with `exec`. */
export function regexInputLengthMax(regex: RegExp): number {
  return execCaps.get(regex) ?? REGEX_INPUT_LENGTH_MAX;
}

/** The pattern to `test` with in place of `regex` (from `compileRegex`), and its input cap. */
export function regexTester(regex: RegExp): RegexTester {
  return testers.get(regex) ?? { regex, inputLengthMax: regexInputLengthMax(regex) };
}

export function compileRegex(pattern: string): RegexResult {
  if (pattern.length > REGEX_PATTERN_LENGTH_MAX) {
    return { ok: false, message: `the pattern is longer than ${REGEX_PATTERN_LENGTH_MAX} characters` };
  }
  let source = pattern;
  let flags = 'u';
  const leading = /^\(\?([ims]+)\)/.exec(source);
  if (leading?.[1] !== undefined) {
    flags += [...new Set(leading[1])].join('');
    source = source.slice(leading[0].length);
  }
  try {
    const translated = translate(source);
    const regex = new RegExp(translated, flags);
    const analysis = analyzeBacktracking(translated, flags);
    if (!analysis.ok) {
      return {
        ok: false,
        message: `regular expression ${JSON.stringify(pattern)} refused: ${analysis.message}`,
      };
    }
    const inputLengthMax = inputLengthMaxFor(analysis.degree, REGEX_INPUT_LENGTH_MAX);
    execCaps.set(regex, inputLengthMax);
    const testSource = withoutOuterWildcards(translated);
    const testAnalysis = testSource === translated ? analysis : analyzeBacktracking(testSource, flags);
    if (testSource !== translated && testAnalysis.ok) {
      testers.set(regex, {
        regex: new RegExp(testSource, flags),
        inputLengthMax: inputLengthMaxFor(testAnalysis.degree, REGEX_INPUT_LENGTH_MAX),
      });
    }
    return { ok: true, regex, inputLengthMax };
  } catch (err) {
    return {
      ok: false,
      message: `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`,
    };
  }
}

/** Characters JavaScript's `u` mode lets a backslash escape (`-` only inside a class). */
const U_MODE_ESCAPABLE = new Set('^$\\.*+?()[]{}|/');

/** `(?P<name>` → `(?<name>` outside escapes and classes; needless escapes of punctuation dropped. */
function translate(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      const needless =
        /^[!-/:-@[-`{-~]$/.test(next) && !U_MODE_ESCAPABLE.has(next) && !(inClass && next === '-');
      out += needless ? next : source.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
    } else if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * True when `regex` matches somewhere in `input`. An `input` over the pattern's cap is not tested: the
 * answer is `overCap` (default false). A caller that drops a record when a value does NOT match (an
 * `include` list) passes true: a value too long to test must never be a reason to drop an audit record.
 */
export function regexMatches(regex: RegExp, input: string, overCap = false): boolean {
  const tester = regexTester(regex);
  return input.length <= tester.inputLengthMax ? tester.regex.test(input) : overCap;
}

/**
 * For "does it match somewhere": a leading `.*` (or `.*?`) of an unanchored pattern and a trailing
 * `.*` change nothing (they may match empty), but each multiplies the backtracking by the value's
 * length: `.*password.*` tests as `password`, in linear time. Not for `exec` (captures would differ).
 */
function withoutOuterWildcards(source: string): string {
  let s = source;
  for (;;) {
    if (/^\.\*\??(?![*+?{])/.test(s) && s.length > 2) s = s.slice(s[2] === '?' ? 3 : 2);
    else if (/(^|[^\\])(\\\\)*\.\*$/.test(s) && !/\|/.test(s) && s.length > 2) s = s.slice(0, -2);
    else return s;
  }
}
