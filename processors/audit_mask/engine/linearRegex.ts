/**
 * User-supplied regular expressions (audit_mask `custom_patterns`, the
 * `redaction` processor's key and value patterns), matched in time linear in
 * the input: RE2 syntax, run by re2js (a pure-JavaScript port of RE2: no
 * backtracking, no native build). JavaScript's own engine backtracks, so a
 * pattern like `\w{0,255}\w{0,255}x` cost ~220 s of CPU on a 1 MiB value
 * there; here its work is at most proportional to the input length times
 * the pattern's program size.
 *
 * That product is what a `PatternWork` budget (PatternWork.ts) is charged
 * before a pattern runs: `costPerChar` is the program size (RE2's measure of
 * a pattern's cost, the number of NFA states the matcher may step per input
 * character). Patterns whose program exceeds `PROGRAM_SIZE_MAX` are rejected
 * at configuration time, with the pattern and the size in the message.
 *
 * Semantics are Go's `regexp` (which the Collector's configurations are
 * written for): leftmost-first, unanchored, inline flags `(?i)` anywhere,
 * `(?P<name>...)`, `\Q...\E`, `[[:alpha:]]`, `\z`; no backreferences or
 * lookarounds. Successive matches are Go's `FindAll`: non-overlapping, an
 * empty match right after the previous match ignored.
 */
import { RE2JS } from 're2js';

/** Largest accepted RE2 program (`\w{0,255}\w{0,255}x` is 1,023; `\d{3}-\d{2}-\d{4}` is 13). */
export const PROGRAM_SIZE_MAX = 2_048;
export const PATTERN_LENGTH_MAX = 4_096;

export interface LinearRegex {
  readonly source: string;
  /** Upper bound of the matcher's work per input character: the RE2 program size. */
  readonly costPerChar: number;
  /** True when the pattern matches somewhere in `text`. */
  test(text: string): boolean;
  /** Calls `visit` with `[start, end)` (UTF-16 code units) of each match, Go `FindAll` order. */
  forEachMatch(text: string, visit: (start: number, end: number) => void): void;
}

export type LinearRegexResult =
  { readonly ok: true; readonly regex: LinearRegex } | { readonly ok: false; readonly message: string };

/** The work (in `PatternWork` units) of running `regex` once over `text`. */
export function patternWorkUnits(regex: LinearRegex, text: string): number {
  return (text.length + 1) * regex.costPerChar;
}

export function compileLinearRegex(pattern: string): LinearRegexResult {
  const quoted = JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}...` : pattern);
  if (pattern.length > PATTERN_LENGTH_MAX) {
    return { ok: false, message: `pattern ${quoted} is longer than ${PATTERN_LENGTH_MAX} characters` };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (err) {
    return {
      ok: false,
      message: `invalid regular expression ${quoted} (RE2 syntax): ${(err as Error).message}`,
    };
  }
  const size = compiled.programSize();
  if (size > PROGRAM_SIZE_MAX) {
    return {
      ok: false,
      message:
        `pattern ${quoted} is too costly: its RE2 program has ${size} instructions, at most ` +
        `${PROGRAM_SIZE_MAX} are accepted (matching work grows with input length × program size); ` +
        'use smaller repetition counts',
    };
  }
  return { ok: true, regex: wrap(pattern, compiled, Math.max(1, size)) };
}

function wrap(source: string, compiled: RE2JS, costPerChar: number): LinearRegex {
  const re2 = compiled.re2();
  return {
    source,
    costPerChar,
    test: (text) => compiled.test(text),
    forEachMatch(text, visit) {
      // The DFA answers "no match" cheaply; positions need the slower matcher.
      if (!compiled.test(text)) return;
      // Go's FindAllIndex (re2js's port): every match in one pass, Go's empty-match rule included,
      // UTF-16 positions for a string. ~30% less CPU than a Matcher find() loop (0.57-3.5 µs against 0.85-3.9 µs per
      // matching value, measured on card, e-mail and IPv4 patterns).
      const found: unknown = re2.findAllIndex(text, -1);
      if (!Array.isArray(found)) return;
      for (const pair of found as readonly (readonly [number, number])[]) visit(pair[0], pair[1]);
    },
  };
}
