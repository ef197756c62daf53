/**
 * E-mail addresses, found from each `@`: the local part is read backwards
 * (at most 64 characters of the RFC 5322 dot-atom alphabet less `&/=?`, no leading,
 * trailing or doubled dot; letters beyond ASCII allowed, RFC 6531), the
 * domain forwards (at most 253 characters, at least two labels of letters,
 * digits and inner hyphens). The top-level
 * domain must be alphabetic and either two letters (a country code) or a
 * known generic TLD, so `icon@2x.png`, `lodash@4.17.21` and `user@host`
 * are not addresses. Quoted local parts and IP-literal domains are not
 * recognised. Work per `@` is bounded (64 + 253 characters).
 */
import type { Scanner, Span, SpanSink } from '../engine/Span.ts';
import { CLASS_AT, codeAt, isAlnum, isAlpha } from './chars.ts';
import { GENERIC_TLDS } from './tlds.ts';

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const LABEL_MAX = 63;
// RFC 5322 also allows `&`, `/`, `=` and `?`; in logs they delimit URL query parameters far more often.
const LOCAL_SPECIALS = new Set("!#$%'*+^_`{|}~-.".split('').map((c) => c.charCodeAt(0)));

/** A letter beyond ASCII (RFC 6531 addresses, IDN domains): Latin-1 letters and up, less punctuation blocks. */
const isWideLetter = (c: number): boolean =>
  c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3000 && c <= 0x303f);
const isLocalChar = (c: number): boolean => isAlnum(c) || LOCAL_SPECIALS.has(c) || isWideLetter(c);
const isDomainChar = (c: number): boolean => isAlnum(c) || c === 45 || isWideLetter(c);

export function emailScanner(): Scanner {
  return {
    types: ['email'],
    requires: CLASS_AT,
    scan(text: string, out: SpanSink): void {
      let at = text.indexOf('@');
      while (at !== -1) {
        const span = emailAt(text, at);
        if (span !== undefined) out.push(span);
        at = text.indexOf('@', span === undefined ? at + 1 : span.end);
      }
    },
  };
}

function emailAt(text: string, at: number): Span | undefined {
  let start = at;
  while (start > 0 && at - start < LOCAL_MAX + 1 && isLocalChar(text.charCodeAt(start - 1))) start--;
  if (at - start > LOCAL_MAX) return undefined;
  while (start < at && text.charCodeAt(start) === 46) start++; // a sentence may end right before
  if (start === at || text.charCodeAt(at - 1) === 46 || text.slice(start, at).includes('..'))
    return undefined;
  const end = domainEnd(text, at + 1);
  return end === undefined ? undefined : { start, end, type: 'email' };
}

/** End of a valid domain starting at `from`, or undefined. */
function domainEnd(text: string, from: number): number | undefined {
  let i = from;
  let labels = 0;
  let lastLabelStart = from;
  let end = -1;
  while (i - from <= DOMAIN_MAX) {
    const labelStart = i;
    while (i - labelStart <= LABEL_MAX && isDomainChar(codeAt(text, i))) i++;
    const len = i - labelStart;
    if (len === 0 || len > LABEL_MAX) break;
    if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) break;
    labels++;
    lastLabelStart = labelStart;
    end = i;
    if (codeAt(text, i) !== 46 || !isDomainChar(codeAt(text, i + 1))) break;
    i++;
  }
  if (labels < 2 || end < 0 || isDomainChar(codeAt(text, end))) return undefined;
  return tldValid(text.slice(lastLabelStart, end)) ? end : undefined;
}

function tldValid(tld: string): boolean {
  for (let i = 0; i < tld.length; i++) if (!isAlpha(tld.charCodeAt(i))) return false;
  return tld.length === 2 || GENERIC_TLDS.has(tld.toLowerCase());
}
