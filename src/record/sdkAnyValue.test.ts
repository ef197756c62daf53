import { describe, expect, it } from 'vitest';
import { RecordInvalidError } from './errors.ts';
import { fromSdkAnyValue, fromSdkAttributes, toSdkAnyValue } from './sdkAnyValue.ts';

describe('SDK value mapping', () => {
  it('maps JavaScript numbers: integers to int64, everything else to double', () => {
    const cases: [number, unknown][] = [
      [0, 0n],
      [-5, -5n],
      [2 ** 53, 2n ** 53n],
      [2 ** 62, 2n ** 62n],
      [-(2 ** 63), -(2n ** 63n)],
      [2 ** 63, 2 ** 63], // beyond int64: stays a double
      [1e300, 1e300],
      [1.5, 1.5],
      [-0, -0],
      [NaN, NaN],
      [Infinity, Infinity],
    ];
    for (const [input, expected] of cases) expect(fromSdkAnyValue(input, 'v')).toEqual(expected);
  });

  it('maps other values', () => {
    expect(fromSdkAnyValue(12n, 'v')).toBe(12n);
    expect(fromSdkAnyValue(2n ** 64n, 'v')).toBe('18446744073709551616');
    expect(fromSdkAnyValue('a\ud800', 'v')).toBe('a\ufffd');
    expect(fromSdkAnyValue([undefined, () => 1, Symbol('s')], 'v')).toEqual([null, null, null]);
    expect(fromSdkAnyValue({ a: undefined, b: 1, ['__proto__']: 2 }, 'v')).toEqual({
      values: [
        { key: 'b', value: 1n },
        { key: '__proto__', value: 2n },
      ],
    });
    expect(fromSdkAnyValue(Buffer.from([1, 2]), 'v')).toEqual(new Uint8Array([1, 2]));
  });

  it('names the full path of a scalar nested one level too deep (attribute paths are built lazily)', () => {
    let nested: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 31; i++) nested = { a: nested };
    expect(() => fromSdkAttributes({ ok: 1, k: nested }, 'attributes')).toThrow(
      `attributes.k${'.a'.repeat(31)}.leaf: value nested deeper than 32 levels (or circular)`,
    );
    let fits: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 30; i++) fits = { a: fits };
    expect(fromSdkAttributes({ k: fits }, 'attributes')).toHaveLength(1);
  });

  it('throws RecordInvalidError on circular or over-deep values', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => fromSdkAnyValue(circular, 'body')).toThrow(RecordInvalidError);
    expect(() => fromSdkAnyValue(circular, 'body')).toThrow(/^body\.self\.self/);
  });

  it('maps back to SDK values', () => {
    expect(toSdkAnyValue(5n)).toBe(5);
    expect(toSdkAnyValue(-(2n ** 63n))).toBe('-9223372036854775808');
    expect(
      toSdkAnyValue({
        values: [
          { key: '__proto__', value: 1n },
          { key: '__proto__', value: 2n },
        ],
      }),
    ).toEqual(JSON.parse('{"__proto__":1}'));
    expect(Object.getPrototypeOf(toSdkAnyValue({ values: [{ key: '__proto__', value: 1n }] }))).toBe(
      Object.prototype,
    );
  });
});
