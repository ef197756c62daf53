/** Character-class tests on UTF-16 code units, for the hand-written scanners (no allocation, no regex). */

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
/** Letters, digits and `_`: what glues characters into one word. */
export const isWord = (c: number): boolean => isAlnum(c) || c === 95;
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
/** The base64url alphabet (RFC 4648 §5). */
export const isBase64Url = (c: number): boolean => isAlnum(c) || c === 45 || c === 95;

/** The code unit at `i`, or -1 outside the string (so a boundary test needs no length check). */
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}
