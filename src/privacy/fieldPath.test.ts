import { describe, expect, it } from 'vitest';
import { kvlist, type KeyValue } from '../record/AnyValue.ts';
import { rewritePath, valueAtPath } from './fieldPath.ts';

const list = (...entries: [string, KeyValue['value']][]): KeyValue[] =>
  entries.map(([key, value]) => ({ key, value }));
const mark = (value: KeyValue['value'], keys: readonly string[]) => `<${keys.join('/')}=${String(value)}>`;

describe('dotted paths', () => {
  it('prefers a key equal to the whole path, then the longest kvlist prefix', () => {
    const attrs = list(['user.id', 'flat'], ['user', kvlist([['id', 'nested']])]);
    expect(rewritePath(attrs, 'user.id', mark)).toEqual([
      { key: 'user.id', value: '<user.id=flat>' },
      attrs[1],
    ]);
    const nested = list(['a', kvlist([['b.c', kvlist([['d', 1n]])]])], ['a.b', kvlist([['c.d', 2n]])]);
    expect(valueAtPath(nested, 'a.b.c.d')).toBe(2n);
    expect(rewritePath(nested, 'a.b.c.d', mark)?.[1]).toEqual({
      key: 'a.b',
      value: kvlist([['c.d', '<a.b/c.d=2>']]),
    });
    expect(valueAtPath(list(['a', kvlist([['b.c', kvlist([['d', 1n]])]])]), 'a.b.c.d')).toBe(1n);
  });

  it('rewrites every duplicate, copies containers, and leaves the input alone', () => {
    const inner = kvlist([
      ['k', 'x'],
      ['k', 'y'],
    ]);
    const attrs = list(['m', inner]);
    const out = rewritePath(attrs, 'm.k', mark);
    expect(out).toEqual(
      list([
        'm',
        kvlist([
          ['k', '<m/k=x>'],
          ['k', '<m/k=y>'],
        ]),
      ]),
    );
    expect(attrs[0]!.value).toBe(inner);
    expect(inner.values[0]!.value).toBe('x');
  });

  it('does not enter arrays, and reports no change when nothing matches or nothing changes', () => {
    expect(rewritePath(list(['a', [kvlist([['b', 1n]])]]), 'a.b', mark)).toBeUndefined();
    expect(rewritePath(list(['a', 1n]), 'b', mark)).toBeUndefined();
    expect(rewritePath(list(['a', 1n]), 'a', () => undefined)).toBeUndefined();
    // a found but unchanged value stops the search: a shorter prefix is not tried
    const both = list(['a', kvlist([['b.c', 'at a']])], ['a.b', kvlist([['c', 'at a.b']])]);
    expect(rewritePath(both, 'a.b.c', () => undefined)).toBeUndefined();
  });
});
