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
 * a record can cause, a value longer than `REGEX_INPUT_LENGTH_MAX` UTF-16
 * code units is never tested (callers decide what that means: no match, or a
 * runtime error). The cap does not make a pattern with nested quantifiers
 * such as `(a+)+$` safe: do not write those.
 */

export const REGEX_INPUT_LENGTH_MAX = 16_384;
export const REGEX_PATTERN_LENGTH_MAX = 4_096;

export type RegexResult =
  { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly message: string };

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
    return { ok: true, regex: new RegExp(translate(source), flags) };
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

/** True when `regex` matches somewhere in `input`; false, untested, when `input` is over the cap. */
export function regexMatches(regex: RegExp, input: string): boolean {
  return input.length <= REGEX_INPUT_LENGTH_MAX && regex.test(input);
}
