/**
 * A recursive-descent parser for OTTL boolean expressions (the grammar of
 * the Collector's `pkg/ottl`, restricted to what docs/processors.md lists):
 *
 *   condition  := or EOF
 *   or         := and ("or" and)*
 *   and        := term ("and" term)*
 *   term       := "not" term | "(" or ")" | value (compareOp value)?
 *   value      := literal | ENUM | path | Converter "(" (value ("," value)*)? ")"
 *   path       := ident ("." ident)* ("[" (string | int) "]")*
 *
 * `not` binds tighter than `and`, which binds tighter than `or`. A term
 * without an operator must be `true`, `false` or a converter call. Length and
 * nesting depth are bounded (limits.ts); every error names its column.
 */
import type { BoolNode, CallNode, PathKey, ValueNode } from './ast.ts';
import { OttlParseError } from './errors.ts';
import { OTTL_ARGUMENTS_MAX, OTTL_CONDITION_LENGTH_MAX, OTTL_NESTING_DEPTH_MAX } from './limits.ts';
import { tokenize } from './tokenize.ts';
import { describeToken, type Token } from './tokens.ts';

const KEYWORDS = new Set(['and', 'or', 'not']);

export function parseCondition(text: string): BoolNode {
  if (text.length > OTTL_CONDITION_LENGTH_MAX) {
    throw new OttlParseError(1, `the condition is longer than ${OTTL_CONDITION_LENGTH_MAX} characters`);
  }
  if (text.trim() === '') throw new OttlParseError(1, 'the condition is empty');
  const parser = new Parser(tokenize(text));
  const node = parser.or();
  parser.expectEnd();
  return node;
}

class Parser {
  private readonly tokens: readonly Token[];
  private index = 0;
  private depth = 0;

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }

  or(): BoolNode {
    return this.nested(() => this.chain('or', () => this.and()));
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'eof') {
      throw new OttlParseError(
        token.column,
        `unexpected ${describeToken(token)}; expected "and", "or" or the end`,
      );
    }
  }

  private and(): BoolNode {
    return this.chain('and', () => this.term());
  }

  private chain(keyword: 'and' | 'or', next: () => BoolNode): BoolNode {
    const first = next();
    const terms = [first];
    while (this.isIdent(this.peek(), keyword)) {
      this.index++;
      terms.push(next());
    }
    return terms.length === 1 ? first : { kind: keyword, terms, column: first.column };
  }

  private term(): BoolNode {
    const token = this.peek();
    if (this.isIdent(token, 'not')) {
      this.index++;
      return this.nested(() => ({ kind: 'not', operand: this.term(), column: token.column }));
    }
    if (token.kind === 'punct' && token.text === '(') {
      this.index++;
      const inner = this.or();
      this.expectPunct(')', 'to close the "(" at column ' + token.column);
      return inner;
    }
    const left = this.value();
    const op = this.peek();
    if (op.kind === 'compare') {
      this.index++;
      return { kind: 'compare', op: op.op, left, right: this.value(), column: left.column };
    }
    if (left.kind === 'literal' && typeof left.value === 'boolean') {
      return { kind: 'bool', value: left.value, column: left.column };
    }
    if (left.kind === 'call') return { kind: 'callBool', call: left, column: left.column };
    throw new OttlParseError(
      op.column,
      `expected a comparison operator (==, !=, <, <=, >, >=), found ${describeToken(op)}: ` +
        'only true, false and converters such as IsMatch(...) are conditions by themselves',
    );
  }

  private value(): ValueNode {
    const token = this.next();
    const { column } = token;
    switch (token.kind) {
      case 'string':
      case 'int':
      case 'float':
      case 'bytes':
        return { kind: 'literal', value: token.value, column };
      case 'ident':
        return this.identValue(token.text, column);
      case 'punct':
        if (token.text === '[') throw new OttlParseError(column, 'list literals are not supported');
        if (token.text === '(') {
          throw new OttlParseError(column, 'parentheses around a value (math expressions) are not supported');
        }
        break;
      default:
        break;
    }
    throw new OttlParseError(column, `expected a value, found ${describeToken(token)}`);
  }

  private identValue(name: string, column: number): ValueNode {
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true', column };
    if (name === 'nil') return { kind: 'literal', value: null, column };
    if (KEYWORDS.has(name)) throw new OttlParseError(column, `expected a value, found "${name}"`);
    const following = this.peek();
    if (following.kind === 'punct' && following.text === '(') {
      if (/^[a-z]/.test(name)) {
        throw new OttlParseError(
          column,
          `"${name}" is an editor; only converters (capitalized) can be used in conditions`,
        );
      }
      return this.call(name, column);
    }
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) return { kind: 'enum', name, column };
    if (/^[A-Z]/.test(name)) {
      throw new OttlParseError(
        column,
        `"${name}" looks like a converter but is not called: write ${name}(...)`,
      );
    }
    return this.path(name, column);
  }

  private call(name: string, column: number): CallNode {
    this.index++; // "("
    const args: ValueNode[] = [];
    this.nested(() => {
      if (this.isPunct(this.peek(), ')')) return;
      for (;;) {
        if (args.length === OTTL_ARGUMENTS_MAX) {
          throw new OttlParseError(
            this.peek().column,
            `a call takes at most ${OTTL_ARGUMENTS_MAX} arguments`,
          );
        }
        args.push(this.value());
        if (!this.isPunct(this.peek(), ',')) break;
        this.index++;
      }
    });
    this.expectPunct(')', `to close the call of ${name}`);
    const after = this.peek();
    if (after.kind === 'punct' && after.text === '[') {
      throw new OttlParseError(after.column, "indexing a converter's result is not supported");
    }
    return { kind: 'call', name, args, column };
  }

  private path(first: string, column: number): ValueNode {
    const segments = [first];
    while (this.isPunct(this.peek(), '.')) {
      this.index++;
      const segment = this.next();
      if (segment.kind !== 'ident' || !/^[a-z_]/.test(segment.text)) {
        throw new OttlParseError(
          segment.column,
          `expected a path segment after ".", found ${describeToken(segment)}`,
        );
      }
      segments.push(segment.text);
    }
    const keys: PathKey[] = [];
    while (this.isPunct(this.peek(), '[')) {
      this.index++;
      const key = this.next();
      if (key.kind !== 'string' && key.kind !== 'int') {
        throw new OttlParseError(
          key.column,
          `a key must be a string or an int literal, found ${describeToken(key)}`,
        );
      }
      keys.push({ value: key.value, column: key.column });
      this.expectPunct(']', 'to close the key');
    }
    return { kind: 'path', segments, keys, column };
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > OTTL_NESTING_DEPTH_MAX) {
      throw new OttlParseError(this.peek().column, `nested deeper than ${OTTL_NESTING_DEPTH_MAX} levels`);
    }
    const result = parse();
    this.depth--;
    return result;
  }

  private expectPunct(text: ')' | ']', why: string): void {
    const token = this.next();
    if (!this.isPunct(token, text)) {
      throw new OttlParseError(token.column, `expected "${text}" ${why}, found ${describeToken(token)}`);
    }
  }

  private isIdent(token: Token, text: string): boolean {
    return token.kind === 'ident' && token.text === text;
  }

  private isPunct(token: Token, text: string): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }
}
