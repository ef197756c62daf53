/**
 * `secret_assignment`: a value written next to a sensitive key inside a
 * string — `password=hunter2`, `"api_key": "abc"`, `token: xyz`,
 * `Authorization: Basic dXNlcjpwdw==` — where the key is one of
 * `sensitive_keys` (matched by words, KeyMatcher.ts). The value is a quoted
 * string (up to the closing quote) or an unquoted run up to whitespace or
 * `,;&"'<>()[]{}`, at most `VALUE_LENGTH_MAX` characters; after an
 * authorization-like key an auth scheme word (`Basic`, `Bearer`, ...) and
 * the credential after it are taken together. The key is kept. Each `:` / `=`
 * is looked at once, with a bounded look back for its key (at most 64
 * characters, starting with a letter), so the work is linear.
 */
import type { KeyMatcher } from '../engine/KeyMatcher.ts';
import type { Scanner, Span, SpanSink } from '../engine/Span.ts';
import { CLASS_ALPHA, CLASS_ASSIGN, codeAt, isAlpha, isWord } from './chars.ts';

const VALUE_LENGTH_MAX = 512;
const KEY_LENGTH_MAX = 64;
const BLANKS_MAX = 3;
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isKeyChar = (c: number): boolean => isWord(c) || c === 46 || c === 45;
const SCHEMES = /^(?:basic|bearer|digest|negotiate|ntlm|token|apikey|hoba|mutual|aws4-hmac-sha256)$/i;
const UNQUOTED_STOP = new Set(' \t\r\n,;&"\'<>()[]{}'.split('').map((c) => c.charCodeAt(0)));

export function secretAssignmentScanner(keys: KeyMatcher): Scanner {
  return {
    types: ['secret_assignment'],
    requires: CLASS_ASSIGN | CLASS_ALPHA, // a `:` or `=`, after a key that starts with a letter
    scan(text: string, out: SpanSink): void {
      let colon = text.indexOf(':');
      let equals = text.indexOf('=');
      while (colon >= 0 || equals >= 0) {
        const sep = colon < 0 ? equals : equals < 0 ? colon : Math.min(colon, equals);
        const key = keyBefore(text, sep);
        const span =
          key !== undefined && keys.matches(key) ? valueSpan(text, skipBlanks(text, sep + 1)) : undefined;
        if (span !== undefined) out.push(span);
        const next = span === undefined ? sep + 1 : span.end;
        if (colon >= 0 && colon < next) colon = text.indexOf(':', next);
        if (equals >= 0 && equals < next) equals = text.indexOf('=', next);
      }
    },
  };
}

/** The key written before the separator at `sep` (`key: `, `"key" =`), or undefined. */
function keyBefore(text: string, sep: number): string | undefined {
  let end = sep;
  while (end > 0 && sep - end < BLANKS_MAX && isBlank(text.charCodeAt(end - 1))) end--;
  const quote = codeAt(text, end - 1);
  if (quote === 34 || quote === 39) end--;
  let start = end;
  while (start > 0 && end - start <= KEY_LENGTH_MAX && isKeyChar(text.charCodeAt(start - 1))) start--;
  if (start === end || end - start > KEY_LENGTH_MAX || !isAlpha(text.charCodeAt(start))) return undefined;
  return text.slice(start, end);
}

function skipBlanks(text: string, from: number): number {
  let i = from;
  while (i - from < BLANKS_MAX && isBlank(codeAt(text, i))) i++;
  return i;
}

function valueSpan(text: string, from: number): Span | undefined {
  const quote = codeAt(text, from);
  if (quote === 34 || quote === 39) {
    const close = text.indexOf(text[from] ?? '"', from + 1);
    if (close < 0 || close - from - 1 > VALUE_LENGTH_MAX || close === from + 1) return undefined;
    return { start: from + 1, end: close, type: 'secret_assignment' };
  }
  let end = unquotedEnd(text, from);
  if (end === from) return undefined;
  if (SCHEMES.test(text.slice(from, end)) && codeAt(text, end) === 32) {
    const credentialEnd = unquotedEnd(text, end + 1);
    if (credentialEnd > end + 1) end = credentialEnd;
  }
  return { start: from, end, type: 'secret_assignment' };
}

function unquotedEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && i - from < VALUE_LENGTH_MAX && !UNQUOTED_STOP.has(text.charCodeAt(i))) i++;
  return i;
}
