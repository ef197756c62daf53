import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crcWithoutZeroTail } from './crcZeroTail.ts';
import { buildFrame, checkFrame, FrameType, sealFrame } from './format.ts';

describe('crcWithoutZeroTail', () => {
  it('is crc32c of the bytes before 4 zero bytes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), (d) => {
        const withZeros = Buffer.concat([Buffer.from(d), Buffer.alloc(4)]);
        expect(crcWithoutZeroTail(crc32c(withZeros))).toBe(crc32c(Buffer.from(d)));
      }),
      { numRuns: 2000 },
    );
  });

  it('makes sealFrame write the CRC checkFrame expects, for frames anywhere in a larger buffer', () => {
    const pool = Buffer.alloc(1 << 16);
    let at = 0;
    for (let i = 0; i < 300; i++) {
      const payload = randomBytes(i * 7);
      const frame = buildFrame(FrameType.RECORD, BigInt(i), payload);
      if (at + frame.length > pool.length) at = 0;
      const view = pool.subarray(at, at + frame.length);
      frame.copy(view);
      view.fill(0xa5, view.length - 4); // whatever was there before
      sealFrame(view, i + 1, 0);
      const checked = checkFrame(pool, at, 0, 1 << 20);
      expect(checked.ok, `frame ${i}`).toBe(true);
      // The CRC over the frame's bytes before its CRC field, as crc32c of that prefix says.
      expect(view.readUInt32LE(view.length - 4)).toBe(crc32c(view.subarray(0, view.length - 4)));
      at += frame.length;
    }
  });
});
