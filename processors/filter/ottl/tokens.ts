/** Tokens of the OTTL subset. Columns are 1-based character offsets into the condition. */

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Punct = '(' | ')' | '[' | ']' | ',' | '.';

export type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly column: number }
  | { readonly kind: 'string'; readonly value: string; readonly column: number }
  | { readonly kind: 'int'; readonly value: bigint; readonly column: number }
  | { readonly kind: 'float'; readonly value: number; readonly column: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array; readonly column: number }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly column: number }
  | { readonly kind: 'punct'; readonly text: Punct; readonly column: number }
  | { readonly kind: 'eof'; readonly column: number };

export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'ident':
      return `"${token.text}"`;
    case 'string':
      return 'a string';
    case 'int':
    case 'float':
      return 'a number';
    case 'bytes':
      return 'a byte literal';
    case 'compare':
      return `"${token.op}"`;
    case 'punct':
      return `"${token.text}"`;
    case 'eof':
      return 'the end of the condition';
  }
}
