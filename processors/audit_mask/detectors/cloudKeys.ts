/**
 * Credentials with a recognisable shape, one anchored regular expression
 * each (a literal prefix, bounded repetition, word boundaries), so the work
 * per position is bounded:
 * - `aws_access_key`: AWS access key ids, `AKIA` (long-term) / `ASIA`
 *   (temporary) / `ABIA` / `ACCA` + 16 upper-case letters or digits;
 * - `gcp_api_key`: Google API keys, `AIza` + 35 base64url characters;
 * - `azure_storage_key`: the key in an Azure connection string,
 *   `AccountKey=<base64>` / `SharedAccessKey=<base64>` (the name is kept);
 * - `github_token`: `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` + 36 or more
 *   characters, fine-grained `github_pat_...`;
 * - `slack_token`: `xoxb-` / `xoxa-` / `xoxp-` / `xoxr-` / `xoxs-` tokens;
 * - `bearer_token`: the credential after `Bearer ` (any case), RFC 6750
 *   token characters, at least 8 (the scheme word is kept).
 */
import type { SpanSink } from '../engine/Span.ts';

export interface PatternRule {
  readonly type: string;
  /** Literal strings one of which every match contains (a cheap pre-check). */
  readonly triggers: readonly string[];
  readonly regex: RegExp;
  /** Mask only this capture group (the secret), not the whole match. */
  readonly group?: number;
}

export const CLOUD_KEY_RULES: readonly PatternRule[] = [
  {
    type: 'aws_access_key',
    triggers: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    type: 'gcp_api_key',
    triggers: ['AIza'],
    regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
  },
  {
    type: 'azure_storage_key',
    triggers: ['ccountKey=', 'ccountkey=', 'ACCOUNTKEY=', 'ccessKey=', 'ccesskey=', 'ACCESSKEY='],
    regex: /(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,128}={0,2})(?![A-Za-z0-9+/=])/gi,
    group: 1,
  },
  {
    type: 'github_token',
    triggers: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    regex:
      /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g,
  },
  {
    type: 'slack_token',
    triggers: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'],
    regex: /(?<![A-Za-z0-9_])xox[baprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g,
  },
  {
    type: 'bearer_token',
    triggers: ['earer', 'EARER'],
    regex: /(?<![A-Za-z0-9_-])bearer[ \t]{1,8}([A-Za-z0-9\-._~+/]{8,}={0,2})/gi,
    group: 1,
  },
];

/** Appends the matches of `rule` in `text`. */
export function findRule(rule: PatternRule, text: string, out: SpanSink): void {
  const { regex, group, type } = rule;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const end = m.index + m[0].length;
    const secret = group === undefined ? m[0] : (m[group] ?? '');
    out.push({ start: end - secret.length, end, type });
  }
}
