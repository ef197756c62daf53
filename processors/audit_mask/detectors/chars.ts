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

/**
 * Character classes, for the StringScanner's pre-check of short strings: a
 * scanner declares the classes every match of its needs (`Scanner.requires`),
 * and is not run on a string lacking one. A character may be in several
 * classes (`A`: upper and alpha; `:`: colon and assign). ASCII only: no
 * scanner needs a character beyond it to match.
 */
export const CLASS_DIGIT = 1;
export const CLASS_UPPER = 2;
export const CLASS_ALPHA = 4;
export const CLASS_AT = 8;
export const CLASS_COLON = 16;
/** `:` or `=`. */
export const CLASS_ASSIGN = 32;
export const CLASS_ALL = 63;

const CLASS_OF = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS_OF[c] = CLASS_DIGIT;
for (let c = 65; c <= 90; c++) CLASS_OF[c] = CLASS_UPPER | CLASS_ALPHA;
for (let c = 97; c <= 122; c++) CLASS_OF[c] = CLASS_ALPHA;
CLASS_OF[64] = CLASS_AT;
CLASS_OF[58] = CLASS_COLON | CLASS_ASSIGN;
CLASS_OF[61] = CLASS_ASSIGN;

/** The classes of the characters of `text`, OR-ed. */
export function charClasses(text: string): number {
  let classes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) classes |= CLASS_OF[c] as number;
  }
  return classes;
}
