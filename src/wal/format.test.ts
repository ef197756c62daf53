/**
 * Frame building through DataView (`frameAround`, `sealFrame`, a view cached per ArrayBuffer): the bytes
 * read back by `checkFrame` for sequence numbers beyond 2^32 and times across the int64 range, with frames
 * alternating between a shared block and their own memory (the cached view switches).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  checkFrame,
  FRAME_FLAG_BATCH_START,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  FRAME_TIME_MAX,
  FRAME_TIME_MIN,
  frameAround,
  readSafeU64,
  sealFrame,
} from './format.ts';

const SEQS = [1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
const TIMES = [0n, 1n, FRAME_TIME_MAX, FRAME_TIME_MIN, -1n, 1_795_715_776_173_000_001n, 2n ** 32n];

describe('frame building', () => {
  it('writes sequence numbers beyond 2^32 and times across int64 exactly, whichever memory the frame is in', () => {
    const block = Buffer.alloc(SEQS.length * (FRAME_OVERHEAD_BYTES + 5) + 3);
    for (const [i, seq] of SEQS.entries()) {
      const t = TIMES[i] as bigint;
      const payload = Buffer.from(`p${i}`.padEnd(5, '.'));
      // In place, at an odd offset of a shared block...
      const at = 3 + i * (FRAME_OVERHEAD_BYTES + 5);
      const inBlock = block.subarray(at, at + FRAME_OVERHEAD_BYTES + 5);
      payload.copy(inBlock, FRAME_HEADER_BYTES);
      frameAround(inBlock, 7, t);
      // ...then a frame in its own memory between building and sealing it.
      const own = buildFrame(3, t, payload);
      sealFrame(own, seq, 0);
      sealFrame(inBlock, seq, FRAME_FLAG_BATCH_START);
      for (const [f, type, flags] of [
        [inBlock, 7, FRAME_FLAG_BATCH_START],
        [own, 3, 0],
      ] as const) {
        const c = checkFrame(f, 0, 0, 1 << 20);
        expect(c.ok, `seq ${seq}`).toBe(true);
        if (!c.ok) continue;
        expect(c.meta).toMatchObject({ seq, timeUnixNano: t, type, flags, frameBytes: f.length });
        expect(f.subarray(FRAME_HEADER_BYTES, f.length - 4).equals(payload)).toBe(true);
      }
    }
  });

  it('refuses a time outside int64', () => {
    for (const t of [FRAME_TIME_MAX + 1n, FRAME_TIME_MIN - 1n, 2n ** 64n - 1n]) {
      expect(() => buildFrame(1, t, Buffer.from('x'))).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('readSafeU64 (two u32 halves, no BigInt)', () => {
  it('reads every u64 as readBigUInt64LE does, undefined beyond MAX_SAFE_INTEGER', () => {
    const b = Buffer.alloc(12);
    const check = (v: bigint): void => {
      b.writeBigUInt64LE(v, 3);
      const expected = v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
      expect(readSafeU64(b, 3), String(v)).toBe(expected);
    };
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    for (const v of [
      0n,
      1n,
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 32n + 1n,
      max - 1n,
      max,
      max + 1n,
      2n ** 64n - 1n,
    ])
      check(v);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => check(v)));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max }), (v) => check(v)));
  });
});
