/**
 * The decisions of the Collector's `redaction` processor for one key or one
 * value (`shouldIgnoreKey`, `shouldRedactKey`, `shouldMaskKey`,
 * `shouldAllowValue`, `maskValue`, `processStringValue...`), over a compiled
 * configuration.
 *
 * Bounded work. Go's RE2 runs in linear time; JavaScript's engine backtracks.
 * A key or value longer than `REGEX_INPUT_LENGTH_MAX` (16,384) characters is
 * never handed to a user pattern, and the answer is the safe one: such a key
 * is not ignored and counts as matching `blocked_key_patterns`; such a value
 * is not allowed by `allowed_values`, and when `blocked_values` are configured
 * it is masked whole. (A pattern with nested repetition such as `(a+)+` is
 * still slow on shorter input: do not write those.)
 */
import { replaceAllGo } from '../audit_mask/engine/goReplaceAll.ts';
import { REGEX_INPUT_LENGTH_MAX } from '../filter/match/regex.ts';
import type { CompiledRedaction } from './compileRedaction.ts';

/** Go's `.` (any character but newline), for masking a whole value as the contrib's `.*` does. */
const WHOLE_VALUE = /[^\n]*/gu;

export class RedactionRules {
  readonly compiled: CompiledRedaction;

  constructor(compiled: CompiledRedaction) {
    this.compiled = compiled;
  }

  ignoreKey(key: string): boolean {
    const { ignoredKeys, ignoredKeyPatterns } = this.compiled;
    if (ignoredKeys.has(key)) return true;
    return key.length <= REGEX_INPUT_LENGTH_MAX && ignoredKeyPatterns.some((re) => re.test(key));
  }

  /** Removed: not allowed (unless `allow_all_keys`). */
  redactKey(key: string): boolean {
    return !this.compiled.allowAllKeys && !this.compiled.allowedKeys.has(key);
  }

  /** Masked whole: the key matches `blocked_key_patterns`. */
  maskKey(key: string): boolean {
    const patterns = this.compiled.blockedKeyPatterns;
    if (patterns.length === 0) return false;
    return key.length > REGEX_INPUT_LENGTH_MAX || patterns.some((re) => re.test(key));
  }

  allowValue(value: string): boolean {
    return value.length <= REGEX_INPUT_LENGTH_MAX && this.compiled.allowedValues.some((re) => re.test(value));
  }

  /** Every line of the value replaced (contrib: `maskValue(v, ".*")`): `****` or its digest. */
  maskWhole(value: string): string {
    return replaceAllGo(value, WHOLE_VALUE, this.compiled.mask);
  }

  /** The matches of `blocked_values`, pattern after pattern, replaced. */
  maskBlockedValues(value: string): string {
    let out = value;
    for (const re of this.compiled.blockedValues) {
      if (out.length > REGEX_INPUT_LENGTH_MAX) return this.maskWhole(out);
      re.lastIndex = 0;
      if (re.test(out)) out = replaceAllGo(out, re, this.compiled.mask);
    }
    return out;
  }
}
