/**
 * The decisions of the Collector's `redaction` processor for one key or one
 * value (`shouldIgnoreKey`, `shouldRedactKey`, `shouldMaskKey`,
 * `shouldAllowValue`, `maskValue`, `processStringValue...`), over a compiled
 * configuration.
 *
 * Bounded work. User patterns are RE2, matched in linear time
 * (audit_mask/engine/linearRegex.ts), and every run of one is paid for from
 * the record's `PatternWork` budget (input length × program size) before it
 * runs. When the budget cannot pay — and for a key or value longer than
 * `REGEX_INPUT_LENGTH_MAX` (16,384) characters — the pattern does not run
 * and the answer is the safe one: the key is not ignored and counts as
 * matching `blocked_key_patterns`; the value is not allowed by
 * `allowed_values`, and when `blocked_values` are configured it is masked
 * whole.
 */
import type { LinearRegex } from '../audit_mask/engine/linearRegex.ts';
import { patternWorkUnits } from '../audit_mask/engine/linearRegex.ts';
import { replaceAllGo } from '../audit_mask/engine/goReplaceAll.ts';
import type { PatternWork } from '../audit_mask/engine/PatternWork.ts';
import { REGEX_INPUT_LENGTH_MAX } from '../filter/match/regex.ts';
import type { CompiledRedaction } from './compileRedaction.ts';

/** Go's `.` (any character but newline), for masking a whole value as the contrib's `.*` does. */
const WHOLE_VALUE = /[^\n]*/gu;

/** The answer of `patterns` on `text`, or `undefined` when they may not run (too long, or unpaid). */
function anyMatches(patterns: readonly LinearRegex[], text: string, work: PatternWork): boolean | undefined {
  if (patterns.length === 0) return false;
  if (text.length > REGEX_INPUT_LENGTH_MAX) return undefined;
  let units = 0;
  for (const re of patterns) units += patternWorkUnits(re, text);
  if (!work.take(units)) return undefined;
  return patterns.some((re) => re.test(text));
}

export class RedactionRules {
  readonly compiled: CompiledRedaction;

  constructor(compiled: CompiledRedaction) {
    this.compiled = compiled;
  }

  ignoreKey(key: string, work: PatternWork): boolean {
    const { ignoredKeys, ignoredKeyPatterns } = this.compiled;
    if (ignoredKeys.has(key)) return true;
    return anyMatches(ignoredKeyPatterns, key, work) === true;
  }

  /** Removed: not allowed (unless `allow_all_keys`). */
  redactKey(key: string): boolean {
    return !this.compiled.allowAllKeys && !this.compiled.allowedKeys.has(key);
  }

  /** Masked whole: the key matches `blocked_key_patterns`. */
  maskKey(key: string, work: PatternWork): boolean {
    return anyMatches(this.compiled.blockedKeyPatterns, key, work) !== false;
  }

  allowValue(value: string, work: PatternWork): boolean {
    return anyMatches(this.compiled.allowedValues, value, work) === true;
  }

  /** Every line of the value replaced (contrib: `maskValue(v, ".*")`): `****` or its digest. */
  maskWhole(value: string): string {
    return replaceAllGo(value, WHOLE_VALUE, this.compiled.mask);
  }

  /** The matches of `blocked_values`, pattern after pattern, replaced. */
  maskBlockedValues(value: string, work: PatternWork): string {
    let out = value;
    for (const re of this.compiled.blockedValues) {
      if (out.length > REGEX_INPUT_LENGTH_MAX || !work.take(patternWorkUnits(re, out)))
        return this.maskWhole(out);
      out = replaceMatches(out, re, this.compiled.mask);
    }
    return out;
  }
}

/** Go's `ReplaceAllStringFunc`: the matches of `re` (Go `FindAll` order) replaced by `replace(match)`. */
function replaceMatches(text: string, re: LinearRegex, replace: (match: string) => string): string {
  let out = '';
  let at = 0;
  re.forEachMatch(text, (start, end) => {
    out += text.slice(at, start) + replace(text.slice(start, end));
    at = end;
  });
  return out + text.slice(at);
}
