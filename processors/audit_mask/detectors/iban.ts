/**
 * IBANs (ISO 13616): a country code with its registered length, two check
 * digits and an upper-case alphanumeric BBAN, written compact
 * (`DE89370400440532013000`) or in groups of four separated by single spaces
 * (`DE89 3704 0044 0532 0130 00`), that pass the ISO 7064 mod-97 check
 * (remainder 1). Lower-case IBANs are not recognised. Work per candidate is
 * bounded by the longest IBAN (34 characters plus spaces).
 */
import type { Scanner, SpanSink } from '../engine/Span.ts';
import { CLASS_DIGIT, CLASS_UPPER, codeAt, isAlnum, isDigit, isUpper } from './chars.ts';

/** Registered IBAN lengths per country (SWIFT IBAN registry). */
const LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 ' +
    'EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 ' +
    'JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 ' +
    'NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 ' +
    'TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

const isIbanChar = (c: number): boolean => isDigit(c) || isUpper(c);

export function ibanScanner(): Scanner {
  const start = /(?<![A-Za-z0-9])([A-Z]{2})\d\d/g;
  return {
    types: ['iban'],
    requires: CLASS_UPPER | CLASS_DIGIT, // `[A-Z]{2}\d\d`
    scan(text: string, out: SpanSink): void {
      start.lastIndex = 0;
      for (let m = start.exec(text); m !== null; m = start.exec(text)) {
        const length = LENGTHS[m[1] ?? ''];
        const end = length === undefined ? -1 : ibanEnd(text, m.index, length);
        if (end >= 0) {
          out.push({ start: m.index, end, type: 'iban' });
          start.lastIndex = end;
        }
      }
    },
  };
}

/** End of an IBAN of `length` characters starting at `from`, or -1. */
function ibanEnd(text: string, from: number, length: number): number {
  const spaced = codeAt(text, from + 4) === 32;
  let compact = '';
  let i = from;
  while (compact.length < length) {
    const c = codeAt(text, i);
    if (!isIbanChar(c)) return -1;
    compact += text[i];
    i++;
    if (spaced && compact.length % 4 === 0 && compact.length < length) {
      if (codeAt(text, i) !== 32) return -1;
      i++;
    }
  }
  if (isAlnum(codeAt(text, i))) return -1;
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1 ? i : -1;
}

/** ISO 7064 MOD 97-10 of an alphanumeric string (A = 10 ... Z = 35). */
export function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    r = isDigit(c) ? (r * 10 + (c - 48)) % 97 : (r * 100 + (c - 55)) % 97;
  }
  return r;
}
