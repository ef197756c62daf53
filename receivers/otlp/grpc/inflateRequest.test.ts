import zlib, { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GrpcCode, type RpcStatus } from '../rpcStatus.ts';
import { inflateRequest, type InflateOptions } from './inflateRequest.ts';

const MIB = 1024 * 1024;
const REFUSED: RpcStatus = { code: GrpcCode.UNAVAILABLE, message: 'no room', retryDelayMs: 1000 };

/** `bytes` of text that compresses well but not to nothing. */
function text(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = 0x61 + ((i * 7 + (i >> 9)) % 26);
  return out;
}

/** Options whose `reserve` records every reservation and accepts up to `roomBytes` in all. */
function recording(
  encoding: string,
  bytesMax: number,
  roomBytes = Infinity,
): { o: InflateOptions; reservations: number[]; refusals: () => number } {
  const reservations: number[] = [];
  let reserved = 0;
  let refusals = 0;
  return {
    reservations,
    refusals: () => refusals,
    o: {
      encoding,
      bytesMax,
      reserve: (bytes) => {
        if (reserved + bytes > roomBytes) return false;
        reserved += bytes;
        reservations.push(bytes);
        return true;
      },
      refused: () => {
        refusals++;
        return REFUSED;
      },
    },
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts what every zlib stream created from now on outputs, and whether it was closed. */
function spyZlib(): { produced: () => number; open: () => number } {
  let produced = 0;
  let open = 0;
  for (const name of ['createGunzip', 'createInflate'] as const) {
    const original = zlib[name];
    vi.spyOn(zlib, name).mockImplementation((options?: zlib.ZlibOptions) => {
      const z = original(options);
      open++;
      z.on('data', (c: Buffer) => (produced += c.length));
      z.once('close', () => open--);
      return z;
    });
  }
  return { produced: () => produced, open: () => open };
}

describe('inflateRequest', () => {
  it('decompresses gzip and deflate into one buffer of the output size, reserved at that size before it is kept', async () => {
    const plain = text(3 * MIB + 12_345);
    for (const [encoding, body] of [
      ['gzip', gzipSync(plain)],
      ['deflate', deflateSync(plain)],
    ] as const) {
      const r = recording(encoding, 4 * MIB);
      const inflated = await inflateRequest(body, r.o);
      expect(inflated.ok).toBe(true);
      if (!inflated.ok) continue;
      expect(inflated.bytes.equals(plain)).toBe(true);
      // one buffer of the output's size (and the byte zlib's output buffer keeps spare), reserved as such: not
      // chunks joined into a second copy (zlib.gunzip's Buffer.concat)
      expect(inflated.heldBytes).toBe(plain.length + 1);
      expect(r.reservations).toEqual([plain.length + 1]);
      expect(inflated.bytes.buffer.byteLength).toBe(plain.length + 1);
      expect((inflated.bytes.buffer as ArrayBuffer).resizable).toBe(false); // another elements kind in V8: slow decoding
    }
  });

  it('zlib output that is not contiguous in one buffer (a future node:zlib) is joined, not thrown from the listener', async () => {
    const plain = text(300_000);
    for (const name of ['createGunzip', 'createInflate'] as const) {
      const original = zlib[name];
      vi.spyOn(zlib, name).mockImplementation((options?: zlib.ZlibOptions) => {
        const z = original(options);
        const emit = z.emit.bind(z);
        // every chunk handed on in two halves, each a copy in its own buffer
        z.emit = ((event: string | symbol, ...args: unknown[]) => {
          if (event !== 'data') return emit(event, ...args);
          const chunk = args[0] as Buffer;
          const half = chunk.length >> 1;
          emit('data', Buffer.from(chunk.subarray(0, half)));
          return emit('data', Buffer.from(chunk.subarray(half)));
        }) as typeof z.emit;
        return z;
      });
    }
    for (const [encoding, body] of [
      ['gzip', gzipSync(plain)],
      ['deflate', deflateSync(plain)],
    ] as const) {
      const inflated = await inflateRequest(body, recording(encoding, MIB).o);
      expect(inflated.ok).toBe(true);
      if (inflated.ok) expect(inflated.bytes.equals(plain)).toBe(true);
    }
  });

  it('gzip whose trailer does not give the output size (several members, bytes after the member) is measured first: the same output, reserved at its size', async () => {
    const a = text(100_000);
    const b = Buffer.from('second member');
    const cases = [
      { body: Buffer.concat([gzipSync(a), gzipSync(b)]), plain: Buffer.concat([a, b]) },
      // zero bytes after the member: zlib ignores them, the trailer read there says 0 bytes
      { body: Buffer.concat([gzipSync(a), Buffer.alloc(4)]), plain: a },
    ];
    for (const c of cases) {
      const r = recording('gzip', MIB);
      const inflated = await inflateRequest(c.body, r.o);
      expect(gunzipSync(c.body).equals(c.plain)).toBe(true); // as zlib.gunzip decompresses it
      expect(inflated.ok && inflated.bytes.equals(c.plain)).toBe(true);
      expect(inflated.ok && inflated.heldBytes).toBe(c.plain.length + 1);
      expect(sum(r.reservations)).toBe(c.plain.length + 1);
    }
  });

  it('output of exactly bytesMax is accepted; one byte more is RESOURCE_EXHAUSTED, with nothing reserved', async () => {
    for (const compress of [gzipSync, deflateSync]) {
      const encoding = compress === gzipSync ? 'gzip' : 'deflate';
      const exact = recording(encoding, MIB);
      const ok = await inflateRequest(compress(Buffer.alloc(MIB, 1)), exact.o);
      expect(ok.ok && ok.bytes.length).toBe(MIB);
      expect(sum(exact.reservations)).toBe(MIB + 1);
      const over = recording(encoding, MIB);
      expect(await inflateRequest(compress(Buffer.alloc(MIB + 1, 1)), over.o)).toEqual({
        ok: false,
        status: {
          code: GrpcCode.RESOURCE_EXHAUSTED,
          message: `Received message that decompresses to a size larger than ${MIB}`,
        },
      });
      expect(over.reservations).toEqual([]);
      expect(over.refusals()).toBe(0);
    }
  });

  it('a gzip output that does not fit is refused before anything is decompressed', async () => {
    // a gzip bomb: 16 MiB of zeros in ~16 KiB, room for 1 MiB
    const zlibs = spyZlib();
    const r = recording('gzip', 128 * MIB, MIB);
    expect(await inflateRequest(gzipSync(Buffer.alloc(16 * MIB)), r.o)).toEqual({
      ok: false,
      status: REFUSED,
    });
    expect(r.refusals()).toBe(1);
    expect(r.reservations).toEqual([]);
    expect(zlibs.produced()).toBe(0);
  });

  it('a deflate output that does not fit is refused once measured: none of it kept, every zlib stream closed', async () => {
    const bomb = deflateSync(Buffer.alloc(16 * MIB));
    const zlibs = spyZlib();
    const r = recording('deflate', 128 * MIB, MIB);
    expect(await inflateRequest(bomb, r.o)).toEqual({ ok: false, status: REFUSED });
    expect(r.refusals()).toBe(1);
    expect(r.reservations).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(zlibs.open()).toBe(0);
    // the measuring pass only: the output was counted, never kept
    expect(zlibs.produced()).toBe(16 * MIB);
  });

  it('decompression stops at bytesMax: a bomb is not decompressed to its end', async () => {
    const bomb = deflateSync(Buffer.alloc(16 * MIB));
    const zlibs = spyZlib();
    const inflated = await inflateRequest(bomb, recording('deflate', MIB).o);
    expect(inflated.ok).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(zlibs.open()).toBe(0);
    expect(zlibs.produced()).toBeLessThanOrEqual(MIB + 64 * 1024);
  });

  it('data that does not decompress is INTERNAL; an encoding other than gzip and deflate is UNIMPLEMENTED', async () => {
    const internal = {
      ok: false,
      status: { code: GrpcCode.INTERNAL, message: 'Failed to decompress message' },
    };
    expect(await inflateRequest(Buffer.from('not gzip at all'), recording('gzip', MIB).o)).toEqual(internal);
    const truncated = gzipSync(text(10_000)).subarray(0, 100);
    expect(await inflateRequest(truncated, recording('gzip', MIB).o)).toEqual(internal);
    // a trailer that overstates the size (within bytesMax): zlib's length check fails
    const lying = Buffer.from(gzipSync(text(10_000)));
    lying.writeUInt32LE(20_000, lying.length - 4);
    const r = recording('gzip', MIB);
    expect(await inflateRequest(lying, r.o)).toEqual(internal);
    expect(await inflateRequest(Buffer.from('x'), recording('snappy', MIB).o)).toEqual({
      ok: false,
      status: {
        code: GrpcCode.UNIMPLEMENTED,
        message: 'Received message compressed with unsupported encoding "snappy"',
      },
    });
  });
});

describe('inflateRequest: lying trailers, several members, trailing bytes, bombs (as zlib decides)', () => {
  const bytesMax = MIB;
  const plain = text(100_000);
  const gz = gzipSync(plain);
  const withTrailer = (isize: number): Buffer => {
    const b = Buffer.from(gz);
    b.writeUInt32LE(isize, b.length - 4);
    return b;
  };
  const bombGz = gzipSync(Buffer.alloc(16 * MIB));
  const lyingBomb = Buffer.from(bombGz);
  lyingBomb.writeUInt32LE(100, lyingBomb.length - 4);
  const cases: Array<{ name: string; encoding: string; body: Buffer }> = [
    { name: 'trailer smaller than the output', encoding: 'gzip', body: withTrailer(10) },
    {
      name: 'trailer larger than the output, within bytesMax',
      encoding: 'gzip',
      body: withTrailer(bytesMax),
    },
    { name: 'trailer 2^32 - 1', encoding: 'gzip', body: withTrailer(0xffff_ffff) },
    {
      name: 'a bomb whose trailer says 100 (ISIZE is mod 2^32)',
      encoding: 'gzip',
      body: lyingBomb,
    },
    {
      name: 'a bomb member, then a small one (the trailer read is the small one)',
      encoding: 'gzip',
      body: Buffer.concat([bombGz, gzipSync(Buffer.from('x'))]),
    },
    {
      name: 'bytes after the member claiming bytesMax',
      encoding: 'gzip',
      body: Buffer.concat([gz, Buffer.from([0, 0, 16, 0])]),
    },
    { name: 'text after the member', encoding: 'gzip', body: Buffer.concat([gz, Buffer.from('garbage!')]) },
    {
      name: 'a second member cut short',
      encoding: 'gzip',
      body: Buffer.concat([gz, gzipSync(plain).subarray(0, 30)]),
    },
    { name: 'empty input', encoding: 'gzip', body: Buffer.alloc(0) },
    { name: 'empty deflate input', encoding: 'deflate', body: Buffer.alloc(0) },
    {
      name: 'deflate with bytes after the stream',
      encoding: 'deflate',
      body: Buffer.concat([deflateSync(plain), Buffer.from('junk')]),
    },
    { name: 'raw deflate (no zlib header)', encoding: 'deflate', body: zlib.deflateRawSync(plain) },
    { name: 'a deflate bomb', encoding: 'deflate', body: deflateSync(Buffer.alloc(16 * MIB)) },
  ];

  for (const c of cases) {
    it(`${c.name}: the answer zlib gives, at most bytesMax + 1 reserved`, async () => {
      const r = recording(c.encoding, bytesMax);
      const inflated = await inflateRequest(c.body, r.o);
      const sync = c.encoding === 'gzip' ? zlib.gunzipSync : zlib.inflateSync;
      let expected: Buffer | string;
      try {
        expected = sync(c.body, { maxOutputLength: bytesMax });
      } catch (err) {
        expected = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too large' : 'corrupt';
      }
      if (typeof expected === 'string') {
        expect(inflated.ok).toBe(false);
        if (!inflated.ok)
          expect(inflated.status.code).toBe(
            expected === 'too large' ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.INTERNAL,
          );
      } else {
        expect(inflated.ok && inflated.bytes.equals(expected)).toBe(true);
        // what the buffer holds is what is reserved
        expect(inflated.ok && inflated.bytes.buffer.byteLength).toBeLessThanOrEqual(
          inflated.ok ? Math.max(inflated.heldBytes, 8192) : 0, // a small output is a slice of Node's pool
        );
        expect(sum(r.reservations)).toBe(inflated.ok ? inflated.heldBytes : -1);
      }
      expect(sum(r.reservations)).toBeLessThanOrEqual(bytesMax + 1);
    });
  }
});
