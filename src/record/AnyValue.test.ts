import { describe, expect, it } from 'vitest';
import { anyValueKind, isKeyValueList, kvlist, type AnyValue } from './AnyValue.ts';
import { anyValueEquals, cloneAnyValue } from './anyValueOps.ts';

describe('AnyValue', () => {
  it('tells every kind apart', () => {
    const kinds = ['s', true, 1n, 1, new Uint8Array(1), [], kvlist([]), null].map((v) => anyValueKind(v));
    expect(kinds).toEqual(['string', 'bool', 'int', 'double', 'bytes', 'array', 'kvlist', 'empty']);
    expect(isKeyValueList(kvlist([['a', 1n]]))).toBe(true);
    expect(isKeyValueList([])).toBe(false);
    expect(isKeyValueList(undefined)).toBe(false);
  });

  it('compares exactly: int vs double, -0, NaN, bytes, duplicate keys in order', () => {
    expect(anyValueEquals(1n, 1)).toBe(false);
    expect(anyValueEquals(-0, 0)).toBe(false);
    expect(anyValueEquals(NaN, NaN)).toBe(true);
    expect(anyValueEquals(new Uint8Array([1]), new Uint8Array([1]))).toBe(true);
    expect(anyValueEquals(new Uint8Array([1]), [1n])).toBe(false);
    expect(
      anyValueEquals(
        kvlist([
          ['a', 1n],
          ['a', 2n],
        ]),
        kvlist([
          ['a', 2n],
          ['a', 1n],
        ]),
      ),
    ).toBe(false);
    expect(anyValueEquals(null, undefined)).toBe(false);
  });

  it('clones deeply', () => {
    const value: AnyValue = kvlist([
      ['b', new Uint8Array([1])],
      ['l', [1n, 'x']],
    ]);
    const copy = cloneAnyValue(value);
    expect(anyValueEquals(copy, value)).toBe(true);
    expect(copy).not.toBe(value);
    if (!isKeyValueList(copy) || !isKeyValueList(value)) throw new Error('kvlist');
    expect(copy.values[0]?.value).not.toBe(value.values[0]?.value);
  });
});
