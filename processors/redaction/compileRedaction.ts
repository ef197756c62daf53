/**
 * Compiles a `redaction` configuration: the key sets, the regular expressions
 * (RE2 syntax, matched in linear time: audit_mask/engine/linearRegex.ts) and
 * the masking function. Problems go to `problems` with their path; no side
 * effects.
 */
import { compileLinearRegex, type LinearRegex } from '../audit_mask/engine/linearRegex.ts';
import { PATTERN_WORK_UNITS_DEFAULT } from '../audit_mask/engine/PatternWork.ts';
import type { ProblemList } from '../filter/match/problems.ts';
import { hexDigest, type DigestName } from '../audit_mask/engine/digest.ts';
import type { HashFunction, RedactionConfig } from './config.ts';
import { SUMMARY_KEYS } from './redactionSummary.ts';

export const MASK_TEXT = '****';

export interface CompiledRedaction {
  readonly allowAllKeys: boolean;
  /** `allowed_keys` plus the summary attributes (so a second redaction processor keeps them). */
  readonly allowedKeys: ReadonlySet<string>;
  readonly ignoredKeys: ReadonlySet<string>;
  readonly ignoredKeyPatterns: readonly LinearRegex[];
  readonly blockedKeyPatterns: readonly LinearRegex[];
  readonly blockedValues: readonly LinearRegex[];
  readonly allowedValues: readonly LinearRegex[];
  /** The per-record budget of pattern work (audit_mask/engine/PatternWork.ts). */
  readonly patternWorkMax: number;
  readonly redactAllTypes: boolean;
  /** What replaces one match: `****`, or its digest. */
  readonly mask: (match: string) => string;
  /** `debug`, `info`, or anything else (silent). */
  readonly summary: string;
}

export function compileRedaction(config: RedactionConfig, problems: ProblemList): CompiledRedaction {
  const regexes = (key: keyof RedactionConfig, list: readonly string[]): LinearRegex[] =>
    list.flatMap((pattern, i) => {
      const result = compileLinearRegex(pattern);
      if (!result.ok) {
        problems.add([key, i], result.message);
        return [];
      }
      return [result.regex];
    });
  if (config.hash_function.startsWith('hmac-') && config.hmac_key === '') {
    problems.add(['hmac_key'], `is required for hash_function "${config.hash_function}"`);
  }
  if (config.url_sanitizer.enabled) {
    problems.add(
      ['url_sanitizer', 'enabled'],
      'URL sanitization is not supported by otel-audit; set it to false',
    );
  }
  if (hasEnabled(config.db_sanitizer)) {
    problems.add(['db_sanitizer'], 'database query sanitization is not supported by otel-audit; disable it');
  }
  return {
    allowAllKeys: config.allow_all_keys,
    allowedKeys: new Set([...config.allowed_keys, ...SUMMARY_KEYS]),
    ignoredKeys: new Set(config.ignored_keys),
    ignoredKeyPatterns: regexes('ignored_key_patterns', config.ignored_key_patterns),
    blockedKeyPatterns: regexes('blocked_key_patterns', config.blocked_key_patterns),
    blockedValues: regexes('blocked_values', config.blocked_values),
    allowedValues: regexes('allowed_values', config.allowed_values),
    patternWorkMax: PATTERN_WORK_UNITS_DEFAULT,
    redactAllTypes: config.redact_all_types,
    mask: maskFunction(config.hash_function, Buffer.from(config.hmac_key, 'utf8')),
    summary: config.summary,
  };
}

function maskFunction(hash: HashFunction, key: Uint8Array): (match: string) => string {
  if (hash === '') return () => MASK_TEXT;
  const name: DigestName = hash;
  return (match) => hexDigest(name, match, key);
}

/** True when any `enabled` below `value` is true. */
function hasEnabled(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([k, v]) => (k === 'enabled' && v === true) || hasEnabled(v));
}
