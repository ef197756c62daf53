/**
 * Phone numbers, in formats with a structure that ordinary numbers lack:
 * - international: `+`, a country code starting 1–9, 8–15 digits in all
 *   (E.164), with or without separators (`+14155550123`, `+44 20 7946 0958`,
 *   `+1 (415) 555-0123`, `+49 (0)30 1234567`);
 * - North American: `(415) 555-0123`, `415-555-0123`, `415.555.0123`,
 *   `415 555 0123`, `1-800-555-0199` — area code and exchange start with 2–9,
 *   one kind of separator;
 * - national with a trunk `0` (UK, DE, FR, NL, ...): `020 7946 0958`,
 *   `030 12345678`, `(030) 1234567`, `01 23 45 67 89` — 10–12 digits, one
 *   kind of separator.
 * Ten or eleven bare digits without `+` are not reported: too many ids look
 * like that. The text handed in is a window of a numeric cluster
 * (numericClusters.ts), so its separators are already the allowed ones.
 */

const NANP = /^(?:\+?1([ .-])?)?(?:\(([2-9]\d{2})\)[ -]?|([2-9]\d{2})([ .-]))([2-9]\d{2})([ .-])(\d{4})$/;
const NATIONAL = /^(?:\(0[1-9]\d{0,4}\) ?|0[1-9]\d{0,4}[ -])\d{2,8}(?:[ -]\d{2,8}){0,4}$/;

export function isPhone(text: string, digitCount: number): boolean {
  if (text.startsWith('+')) return isInternational(text, digitCount);
  const nanp = NANP.exec(text);
  if (nanp !== null) return nanp[4] === undefined || nanp[4] === nanp[6];
  if (digitCount < 10 || digitCount > 12 || !NATIONAL.test(text)) return false;
  const separators = text.replace(/[\d()]/g, '');
  return separators.length === 0 || separators.split('').every((c) => c === separators[0]);
}

function isInternational(text: string, digitCount: number): boolean {
  if (digitCount < 8 || digitCount > 15) return false;
  const first = /\d/.exec(text);
  if (first === null || first[0] === '0') return false;
  let open = 0;
  for (const c of text) {
    if (c === '(') open++;
    else if (c === ')' && --open < 0) return false;
  }
  return open === 0;
}
