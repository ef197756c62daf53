/**
 * OTTL's comparison rules (pkg/ottl LANGUAGE.md, "Comparison Rules"), over
 * AnyValues with `null` as nil:
 * - nil equals nil (`==`, `<=`, `>=` are true); nil and anything else are
 *   "not equal";
 * - int with int compares exactly; int with double compares as doubles;
 * - strings compare by code point (Go compares UTF-8 bytes: the same order);
 * - bools: false < true; bytes: byte-wise;
 * - lists and maps: only `==` / `!=` (pdata `Equal`);
 * - values of different kinds are "not equal": `!=` is true and every other
 *   operator is false — never an error.
 */
import { isKeyValueList, type AnyValue } from '../../../src/record/AnyValue.ts';
import { compareCodePoints } from '../match/anyValueText.ts';
import { collectorEquals } from '../match/collectorEquals.ts';
import type { CompareOp } from './tokens.ts';

export function ottlCompare(a: AnyValue, b: AnyValue, op: CompareOp): boolean {
  if (a === null && b === null) return op === '==' || op === '<=' || op === '>=';
  if (a === null) return ottlCompare(b, null, op);
  switch (typeof a) {
    case 'boolean':
      return typeof b === 'boolean' ? ordered(Number(a), Number(b), op) : op === '!=';
    case 'bigint':
      if (typeof b === 'bigint') return ordered(a, b, op);
      return typeof b === 'number' ? ordered(Number(a), b, op) : op === '!=';
    case 'number':
      if (typeof b === 'number') return ordered(a, b, op);
      return typeof b === 'bigint' ? ordered(a, Number(b), op) : op === '!=';
    case 'string':
      return typeof b === 'string' ? ordered(compareCodePoints(a, b), 0, op) : op === '!=';
  }
  if (a instanceof Uint8Array) {
    return b instanceof Uint8Array ? ordered(Buffer.compare(a, b), 0, op) : op === '!=';
  }
  const sameKind = Array.isArray(a) ? Array.isArray(b) : isKeyValueList(b);
  if (!sameKind || b === null) return op === '!=';
  if (op === '==') return collectorEquals(a, b);
  if (op === '!=') return !collectorEquals(a, b);
  return false;
}

function ordered<T extends number | bigint>(a: T, b: T, op: CompareOp): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}
