/**
 * Turns a parsed condition into a closure over `MutableLogRecordView`:
 * every path, enum, converter and regular expression is resolved once, here,
 * so evaluating a record does no parsing. `and` / `or` short-circuit left to
 * right (a later term that would fail at run time is not evaluated).
 */
import type { MutableLogRecordView } from '../../../src/record/MutableLogRecordView.ts';
import type { BoolNode, ValueNode } from './ast.ts';
import { ottlCompare } from './compare.ts';
import { compileCall } from './converters.ts';
import { enumValue } from './enums.ts';
import { OttlParseError, OttlRuntimeError } from './errors.ts';
import { parseCondition } from './parse.ts';
import { compilePath, type Getter } from './paths.ts';

export interface OttlCondition {
  readonly text: string;
  /** True when the condition holds; throws `OttlRuntimeError` when it cannot be evaluated on this record. */
  evaluate(record: MutableLogRecordView): boolean;
}

type Predicate = (record: MutableLogRecordView) => boolean;

/** Parses and compiles one condition; throws `OttlParseError` (with a column) when it is outside the subset. */
export function compileCondition(text: string): OttlCondition {
  const evaluate = compileBool(parseCondition(text));
  return { text, evaluate };
}

function compileBool(node: BoolNode): Predicate {
  switch (node.kind) {
    case 'or': {
      const terms = node.terms.map(compileBool);
      return (record) => terms.some((term) => term(record));
    }
    case 'and': {
      const terms = node.terms.map(compileBool);
      return (record) => terms.every((term) => term(record));
    }
    case 'not': {
      const operand = compileBool(node.operand);
      return (record) => !operand(record);
    }
    case 'bool': {
      const value = node.value;
      return () => value;
    }
    case 'compare': {
      const left = compileValue(node.left);
      const right = compileValue(node.right);
      const op = node.op;
      return (record) => ottlCompare(left(record), right(record), op);
    }
    case 'callBool': {
      const call = compileCall(node.call, compileValue);
      return (record) => {
        const value = call(record);
        if (typeof value !== 'boolean') throw new OttlRuntimeError(`${node.call.name} did not return a bool`);
        return value;
      };
    }
  }
}

function compileValue(node: ValueNode): Getter {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'enum': {
      const value = enumValue(node.name);
      if (value === undefined) {
        throw new OttlParseError(
          node.column,
          `unknown enum "${node.name}"; supported: SEVERITY_NUMBER_UNSPECIFIED, SEVERITY_NUMBER_TRACE .. SEVERITY_NUMBER_FATAL4`,
        );
      }
      return () => value;
    }
    case 'path':
      return compilePath(node);
    case 'call':
      return compileCall(node, compileValue);
  }
}
