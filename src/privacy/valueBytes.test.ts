import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValueEquals } from '../record/anyValueOps.ts';
import { anyValueArb } from '../record/testutil/arbitraries.ts';
import { decodeValueBytes, encodeValueBytes } from './valueBytes.ts';

describe('canonical value bytes', () => {
  it('round-trips every AnyValue exactly', () => {
    fc.assert(
      fc.property(anyValueArb, (value) => {
        expect(anyValueEquals(decodeValueBytes(encodeValueBytes(value)), value)).toBe(true);
      }),
    );
  });

  it('keeps kinds apart and has one form per value', () => {
    const hex = (v: Parameters<typeof encodeValueBytes>[0]) => encodeValueBytes(v).toString('hex');
    expect(hex('5')).toBe('010000000135');
    expect(hex(5n)).toBe('030000000000000005');
    expect(hex(5)).toBe('044014000000000000');
    expect(hex(true)).toBe('0201');
    expect(hex(null)).toBe('00');
    expect(hex(Uint8Array.of(1, 2))).toBe('05000000020102');
    expect(hex(-0)).toBe('048000000000000000');
    expect(hex(NaN)).toBe('047ff8000000000000');
    expect(hex([1n])).toBe('0600000001030000000000000001');
    expect(hex({ values: [{ key: 'k', value: null }] })).toBe('07' + '00000001' + '00000001' + '6b' + '00');
  });

  it('refuses damaged input with CIPHERTEXT_MALFORMED', () => {
    for (const hex of ['', '09', '0100000005616263', '0202', '00ff', '06ffffffff', '0100000001ff']) {
      expect(() => decodeValueBytes(Buffer.from(hex, 'hex')), hex).toThrow(
        expect.objectContaining({ code: 'CIPHERTEXT_MALFORMED' }),
      );
    }
    const deep = Buffer.concat([Buffer.from('0600000001'.repeat(40), 'hex'), Buffer.of(0)]);
    expect(() => decodeValueBytes(deep)).toThrow(/nested deeper/);
  });
});
