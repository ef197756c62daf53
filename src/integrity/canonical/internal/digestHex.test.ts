import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOfDigestHex } from './digestHex.ts';

describe('bytesOfDigestHex', () => {
  it('inverts lowercase hex of any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = bytesOfDigestHex(Buffer.from(bytes).toString('hex'));
        expect(decoded).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(decoded).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    expect([...bytesOfDigestHex('00ff7f80a5')]).toEqual([0x00, 0xff, 0x7f, 0x80, 0xa5]);
  });

  it('refuses what no digest is: odd length, upper case, other characters', () => {
    for (const bad of ['abc', 'AB', '0g', 'zz', '\u0100\u0100', ' 0']) {
      expect(() => bytesOfDigestHex(bad), bad).toThrow(RangeError);
    }
  });
});
