/** The syntax tree of one OTTL condition (the supported subset). */
import type { AnyValue } from '../../../src/record/AnyValue.ts';
import type { CompareOp } from './tokens.ts';

export type BoolNode =
  | { readonly kind: 'or' | 'and'; readonly terms: readonly BoolNode[]; readonly column: number }
  | { readonly kind: 'not'; readonly operand: BoolNode; readonly column: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly column: number }
  | {
      readonly kind: 'compare';
      readonly op: CompareOp;
      readonly left: ValueNode;
      readonly right: ValueNode;
      readonly column: number;
    }
  | { readonly kind: 'callBool'; readonly call: CallNode; readonly column: number };

export type ValueNode = LiteralNode | EnumNode | PathNode | CallNode;

export interface LiteralNode {
  readonly kind: 'literal';
  /** `null` is OTTL's `nil`. */
  readonly value: AnyValue;
  readonly column: number;
}

export interface EnumNode {
  readonly kind: 'enum';
  readonly name: string;
  readonly column: number;
}

export interface PathKey {
  readonly value: string | bigint;
  readonly column: number;
}

export interface PathNode {
  readonly kind: 'path';
  /** Dotted segments: `resource.attributes` is `['resource', 'attributes']`. */
  readonly segments: readonly string[];
  readonly keys: readonly PathKey[];
  readonly column: number;
}

export interface CallNode {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly ValueNode[];
  readonly column: number;
}
