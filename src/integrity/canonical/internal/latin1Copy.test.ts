import { describe, expect, it } from 'vitest';
import { latin1CopyDocumented, selectLatin1Copy, type Latin1Copy } from './latin1Copy.ts';

const TEXT = 'GET /api/v1/items?id=42 user=alice session=9f3c ok ~!#$%&()*+,-./:;<=>?@[]^_`{|}';

function copied(copy: Latin1Copy, offset: number): Buffer {
  const buf = Buffer.alloc(offset + TEXT.length + 4, 0xee);
  copy(buf, TEXT, offset, TEXT.length);
  return buf;
}

describe('selectLatin1Copy', () => {
  it("uses Buffer's latin1Write when it writes what buf.write(..., 'latin1') writes", () => {
    const selected = selectLatin1Copy();
    expect(selected).not.toBe(latin1CopyDocumented);
    for (const offset of [0, 1, 7])
      expect(copied(selected, offset)).toEqual(copied(latin1CopyDocumented, offset));
    expect(
      copied(latin1CopyDocumented, 2)
        .subarray(2, 2 + TEXT.length)
        .toString('latin1'),
    ).toBe(TEXT);
  });

  it('falls back to the documented API when latin1Write is missing', () => {
    expect(selectLatin1Copy({})).toBe(latin1CopyDocumented);
    expect(selectLatin1Copy({ latin1Write: 'not a function' })).toBe(latin1CopyDocumented);
  });

  it('falls back to the documented API when latin1Write misbehaves', () => {
    const native = (Buffer.prototype as unknown as { latin1Write: (...a: unknown[]) => number }).latin1Write;
    const misbehaving: Array<(this: Buffer, text: string, offset: number, length: number) => unknown> = [
      () => {
        throw new TypeError('gone');
      },
      // Ignores the offset.
      function (text, _offset, length) {
        return native.call(this, text, 0, length);
      },
      // Writes one byte too many.
      function (text, offset, length) {
        const n = native.call(this, text, offset, length);
        this[offset + length] = 0x20;
        return n;
      },
      // Writes the bytes but reports another length.
      function (text, offset, length) {
        native.call(this, text, offset, length);
        return length - 1;
      },
      // Writes UTF-16 instead.
      function (text, offset, length) {
        return this.write(text.slice(0, length >> 1), offset, length, 'utf16le');
      },
    ];
    for (const latin1Write of misbehaving)
      expect(selectLatin1Copy({ latin1Write })).toBe(latin1CopyDocumented);
    // A well-behaved one on another prototype is used, and called as given.
    const calls: number[] = [];
    const wellBehaved = function (this: Buffer, text: string, offset: number, length: number): number {
      calls.push(offset);
      return native.call(this, text, offset, length);
    };
    const selected = selectLatin1Copy({ latin1Write: wellBehaved });
    expect(selected).not.toBe(latin1CopyDocumented);
    expect(copied(selected, 5)).toEqual(copied(latin1CopyDocumented, 5));
    expect(calls.at(-1)).toBe(5);
  });
});
