/**
 * Payment card numbers (PAN): 14–19 digits, written without separators or
 * in the printed groupings (4-4-4-4[-1..3], 4-4-4-1..4, Amex 4-6-5, Diners
 * 4-6-4) with one kind of separator (space or dash), that pass the Luhn check
 * AND start with an issuer prefix of a length that issuer uses (Visa, Mastercard, Amex,
 * Discover, Diners, JCB, UnionPay, Maestro, Mir, RuPay). The prefix check is
 * what keeps random Luhn-valid numbers (one in ten) out: order and tracking
 * numbers rarely start with a valid issuer prefix at the right length.
 */

const GROUPED = /^(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})$/;

/** The digits of `text` when it is a card number, else undefined. */
export function cardDigits(text: string): string | undefined {
  if (!GROUPED.test(text)) return undefined;
  const digits = text.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && issuerPlausible(digits)
    ? digits
    : undefined;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let v = digits.charCodeAt(i) - 48;
    if (double) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    double = !double;
  }
  return sum % 10 === 0;
}

/** True when the number starts with a known issuer prefix and has a length that issuer issues. */
export function issuerPlausible(digits: string): boolean {
  const len = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  switch (digits[0]) {
    case '4': // Visa (13-digit Visa numbers are no longer issued; EAN-13 barcodes look like them)
      return len === 16 || len === 19;
    case '2': // Mastercard 2-series, Mir
      return len === 16 && ((p4 >= 2221 && p4 <= 2720) || (p4 >= 2200 && p4 <= 2204));
    case '5': // Mastercard, Maestro (Maestro's rare 12–15-digit numbers are not recognised)
      if (p2 >= 51 && p2 <= 55) return len === 16;
      return (p2 === 50 || (p2 >= 56 && p2 <= 58)) && len >= 16;
    case '3':
      if (p2 === 34 || p2 === 37) return len === 15; // Amex
      if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36) return len >= 14; // Diners
      if (p2 === 38 || p2 === 39) return len >= 16; // Diners
      return p4 >= 3528 && p4 <= 3589 && len >= 16; // JCB
    case '6': // Discover, UnionPay, Maestro, RuPay
      return len >= 16;
    default:
      return false;
  }
}
