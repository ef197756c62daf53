/**
 * The OTTL tokenizer: identifiers, double-quoted strings with Go escapes,
 * ints (int64), floats (`1.5`, `-.5`, `2.5e3`), byte literals (`0x0a1b`),
 * comparison operators and punctuation. Anything else — math operators,
 * map literals, `&&`, single quotes — is an error at its column.
 */
import { INT64_MAX, INT64_MIN } from '../../../src/record/AnyValue.ts';
import { OttlParseError } from './errors.ts';
import type { CompareOp, Punct, Token } from './tokens.ts';

const NUMBER = /[+-]?(?:[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+)/y;
const BYTES = /0x[0-9a-fA-F]*/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const PUNCT = new Set<string>(['(', ')', '[', ']', ',', '.']);

const REJECTED: Readonly<Record<string, string>> = {
  '+': 'math expressions are not supported',
  '-': 'math expressions are not supported',
  '*': 'math expressions are not supported',
  '/': 'math expressions are not supported',
  '{': 'map literals are not supported',
  '}': 'map literals are not supported',
  '&': 'use "and" to combine conditions',
  '|': 'use "or" to combine conditions',
  "'": 'strings are written in double quotes',
  '=': 'use "==" to compare (named arguments are not supported)',
  '!': 'use "not" to negate, or "!=" to compare',
};

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    const column = i + 1;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '"') {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'string', value, column });
      i = end;
    } else if (text.startsWith('0x', i)) {
      BYTES.lastIndex = i;
      const digits = (BYTES.exec(text)?.[0] ?? '0x').slice(2);
      if (digits.length === 0 || digits.length % 2 !== 0) {
        throw new OttlParseError(column, 'a byte literal needs an even number of hex digits after 0x');
      }
      tokens.push({ kind: 'bytes', value: Uint8Array.from(Buffer.from(digits, 'hex')), column });
      i += 2 + digits.length;
      checkNumberEnd(text, i, column);
    } else if (startsNumber(text, i)) {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)?.[0] ?? '';
      tokens.push(numberToken(literal, column));
      i += literal.length;
      checkNumberEnd(text, i, column);
    } else if (/[A-Za-z_]/.test(ch)) {
      IDENT.lastIndex = i;
      const ident = IDENT.exec(text)?.[0] ?? ch;
      tokens.push({ kind: 'ident', text: ident, column });
      i += ident.length;
    } else if (ch === '=' || ch === '!' || ch === '<' || ch === '>') {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'compare', op: two, column });
        i += 2;
      } else if (ch === '<' || ch === '>') {
        tokens.push({ kind: 'compare', op: ch as CompareOp, column });
        i++;
      } else {
        throw new OttlParseError(column, REJECTED[ch] ?? `unexpected "${ch}"`);
      }
    } else if (PUNCT.has(ch)) {
      tokens.push({ kind: 'punct', text: ch as Punct, column });
      i++;
    } else {
      const why = REJECTED[ch];
      throw new OttlParseError(
        column,
        why === undefined ? `unexpected character ${JSON.stringify(ch)}` : `"${ch}": ${why}`,
      );
    }
  }
  tokens.push({ kind: 'eof', column: text.length + 1 });
  return tokens;
}

function startsNumber(text: string, i: number): boolean {
  const isDigit = (at: number) => /[0-9]/.test(text[at] ?? '');
  let at = i;
  if (text[at] === '+' || text[at] === '-') at++;
  return isDigit(at) || (text[at] === '.' && isDigit(at + 1));
}

function numberToken(literal: string, column: number): Token {
  if (/[.eE]/.test(literal)) return { kind: 'float', value: Number(literal), column };
  const value = BigInt(literal);
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new OttlParseError(column, `the integer ${literal} is outside the int64 range`);
  }
  return { kind: 'int', value, column };
}

function checkNumberEnd(text: string, end: number, column: number): void {
  if (/[A-Za-z0-9_.]/.test(text[end] ?? '')) {
    throw new OttlParseError(column, `invalid number "${text.slice(column - 1, end + 1)}"`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/** A double-quoted string with Go's escapes (`strconv.Unquote`). */
function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '"') return { value, end: i + 1 };
    if (ch !== '\\') {
      value += ch;
      i++;
      continue;
    }
    const column = i + 1;
    const kind = text[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    const hexLength = kind === 'x' ? 2 : kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
    const octal = /^[0-7]{3}$/.test(text.slice(i + 1, i + 4));
    if (hexLength === 0 && !octal) throw new OttlParseError(column, `invalid escape "\\${kind}" in a string`);
    const digits = octal ? text.slice(i + 1, i + 4) : text.slice(i + 2, i + 2 + hexLength);
    if (!octal && !new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits)) {
      throw new OttlParseError(column, `"\\${kind}" needs ${hexLength} hex digits`);
    }
    const code = parseInt(digits, octal ? 8 : 16);
    if ((kind === 'x' || octal) && code > 0x7f) {
      throw new OttlParseError(column, 'byte escapes above 0x7f are not supported in strings; use \\u');
    }
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new OttlParseError(column, `"\\${kind}${digits}" is not a valid Unicode code point`);
    }
    value += String.fromCodePoint(code);
    i = octal ? i + 4 : i + 2 + hexLength;
  }
  throw new OttlParseError(start + 1, 'unterminated string');
}
