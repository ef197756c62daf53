/**
 * readBody's decompression over multi-frame and multi-member bodies (review of 2026-11-27): every zstd frame is
 * decoded (large, tiny, interleaved with skippable frames, ending on Node's 16 KiB output chunk), every gzip
 * member too, and bytes after a deflate or brotli stream are refused. ZSTD_FRAMES_MAX bounds decompressor runs,
 * not frames: frames whose output ends on a 16 KiB chunk are decoded by one run, so 300 of them pass, whole.
 */
import { type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBody } from './http/readBody.ts';

function reqOf(body: Buffer, encoding: string, chunk = 64 * 1024): IncomingMessage {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(body.subarray(i, i + chunk));
  const req = Readable.from(parts) as unknown as IncomingMessage;
  Object.assign(req, { headers: { 'content-encoding': encoding }, socket: { destroy: () => undefined } });
  return req;
}
const LIMIT = 20 * 1024 * 1024;

describe('zstd bodies of many frames, gzip members, trailing bytes', () => {
  it('large frames (random content, > chunk sizes) are all decoded', async () => {
    const parts = [
      crypto.randomBytes(3 * 1024 * 1024 + 17),
      Buffer.alloc(2 * 1024 * 1024 + 5, 7),
      crypto.randomBytes(70_001),
    ];
    const body = Buffer.concat(parts.map((p) => zlib.zstdCompressSync(p)));
    const out = await readBody(reqOf(body, 'zstd'), LIMIT, 0);
    expect(out.equals(Buffer.concat(parts))).toBe(true);
  }, 60_000);
  it('many small frames interleaved with skippables', async () => {
    const parts = Array.from({ length: 200 }, (_, i) => crypto.randomBytes(i * 37 + 1));
    const sk = Buffer.alloc(12);
    sk.writeUInt32LE(0x184d2a57, 0);
    sk.writeUInt32LE(4, 4);
    const body = Buffer.concat(parts.flatMap((p) => [zlib.zstdCompressSync(p), sk]));
    const out = await readBody(reqOf(body, 'zstd', 1000), LIMIT, 0);
    expect(out.equals(Buffer.concat(parts))).toBe(true);
  });
  it('zstd frame whose content ends exactly at a 16 KiB output chunk boundary, then a second frame', async () => {
    for (const n of [16384, 65536, 16384 * 3 - 1, 131072]) {
      const parts = [crypto.randomBytes(n), crypto.randomBytes(100)];
      const body = Buffer.concat(parts.map((p) => zlib.zstdCompressSync(p)));
      const out = await readBody(reqOf(body, 'zstd'), LIMIT, 0);
      expect(out.length).toBe(n + 100);
    }
  });
  it('gzip multi-member and deflate/br trailing bytes', async () => {
    const a = crypto.randomBytes(100_000),
      b = crypto.randomBytes(50_000);
    const gz = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]);
    expect((await readBody(reqOf(gz, 'gzip'), LIMIT, 0)).length).toBe(150_000);
    for (const [enc, c] of [
      ['deflate', zlib.deflateSync(a)],
      ['br', zlib.brotliCompressSync(a)],
      ['gzip', zlib.gzipSync(a)],
    ] as const) {
      await expect(
        readBody(reqOf(Buffer.concat([c, Buffer.from([0, 0, 0])]), enc), LIMIT, 0),
      ).rejects.toThrow();
    }
    // Two gzip members are one body; a second deflate or brotli stream is bytes after the end.
    expect(
      (await readBody(reqOf(Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(a)]), 'gzip'), LIMIT, 0)).length,
    ).toBe(200_000);
    for (const [enc, c] of [
      ['deflate', zlib.deflateSync(a)],
      ['br', zlib.brotliCompressSync(a)],
    ] as const) {
      await expect(readBody(reqOf(Buffer.concat([c, c]), enc), LIMIT, 0)).rejects.toThrow();
    }
  });
});

describe('ZSTD_FRAMES_MAX counts decompressor runs, not frames', () => {
  it('300 frames of exactly 16 KiB each (> ZSTD_FRAMES_MAX = 256) are one run: decoded whole', async () => {
    const content = crypto.randomBytes(16384);
    const body = Buffer.concat(Array<Buffer>(300).fill(zlib.zstdCompressSync(content)));
    const out = await readBody(reqOf(body, 'zstd'), LIMIT, 0);
    expect(out.equals(Buffer.concat(Array<Buffer>(300).fill(content)))).toBe(true);
  });
});
