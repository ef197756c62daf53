/**
 * zstd skippable-frame stepping and the unix listen retry (from a third review, 2026-11-27, which found
 * them sound): hostile frame sizes, bodies of millions of frames, files and stale sockets at the path,
 * TCP EADDRINUSE not retried.
 */
import fs from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { readBody } from './http/readBody.ts';
import { otlpConfigSchema } from './config.ts';
import { OtlpReceiver } from './OtlpReceiver.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
function receiverAt(sock: string): OtlpReceiver {
  return new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols: { http: { endpoint: sock, transport: 'unix' } } }),
    { consumeLogs: () => Promise.resolve() },
  );
}

function reqOf(body: Buffer, encoding: string): IncomingMessage {
  const req = Readable.from([body]) as unknown as IncomingMessage;
  Object.assign(req, { headers: { 'content-encoding': encoding }, socket: { destroy: () => undefined } });
  return req;
}

function skippable(size: number, declared = size, nibble = 0): Buffer {
  const b = Buffer.alloc(8 + size);
  b.writeUInt32LE((0x184d2a50 | nibble) >>> 0, 0);
  b.writeUInt32LE(declared >>> 0, 4);
  return b;
}

const LIMIT = 20 * 1024 * 1024;
const frame = zstdCompressSync(Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'x' })])));

describe('zstd skippable frames (readBody)', () => {
  it('a 20 MiB body of 8-byte skippable frames (2.6 M frames) then a real one: stepped over, the frame decoded', async () => {
    const n = Math.floor((LIMIT - frame.length) / 8);
    const body = Buffer.concat([Buffer.concat(Array<Buffer>(n).fill(skippable(0))), frame]);
    const out = await readBody(reqOf(body, 'zstd'), LIMIT, 0);
    expect(out.length).toBeGreaterThan(0);
  }, 60_000);

  it('size field 0xFFFFFFFF (no overflow), spanning past the end, any magic nibble, < 8 bytes of magic', async () => {
    const cases: Array<[string, Buffer]> = [
      ['size 0xFFFFFFFF', Buffer.concat([frame, skippable(4, 0xffffffff, 0xf)])],
      ['spans past the end by 1', Buffer.concat([frame, skippable(4, 5, 3)])],
      ['magic + 3 bytes', Buffer.concat([frame, skippable(0).subarray(0, 7)])],
      ['only skippable', Buffer.concat([skippable(0), skippable(16, 16, 0xf)])],
      ['zero-length body', Buffer.alloc(0)],
    ];
    const outcomes: string[] = [];
    for (const [name, body] of cases) {
      outcomes.push(
        await readBody(reqOf(body, 'zstd'), LIMIT, 0).then(
          (b) => `${name}: ok ${b.length} bytes`,
          (e: Error) => `${name}: error ${e.message}`,
        ),
      );
    }
    expect(outcomes[2]).toMatch(/^magic \+ 3 bytes: error/);
    expect(outcomes[3]).toBe('only skippable: ok 0 bytes');
    expect(outcomes[4]).toMatch(/^zero-length body: error/);
    await expect(readBody(reqOf((cases[0] as [string, Buffer])[1], 'zstd'), LIMIT, 0)).rejects.toThrow(
      /cut short/,
    );
    await expect(readBody(reqOf((cases[1] as [string, Buffer])[1], 'zstd'), LIMIT, 0)).rejects.toThrow(
      /cut short/,
    );
  });
});

describe('transport unix: the listen retry', () => {
  const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'review3-unix-'));

  it('a regular file / a directory at the path: refused, left in place, with a message naming it', async () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'f.sock');
      fs.writeFileSync(file, 'data');
      const sub = path.join(dir, 'd.sock');
      fs.mkdirSync(sub);
      for (const p of [file, sub]) {
        const r = receiverAt(p);
        const msg = await r.start().then(
          () => 'started',
          (e: Error) => e.message,
        );
        expect(msg).toMatch(/not a socket/);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe('data');
      expect(fs.statSync(sub).isDirectory()).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stale socket (its owner SIGKILLed) is replaced; no listen listeners are left behind', async () => {
    const dir = tmp();
    const sock = path.join(dir, 'otlp.sock');
    try {
      const child = spawn(process.execPath, [
        '-e',
        `require('node:net').createServer().listen(process.argv[1], () => process.stdout.write('ready\\n'))`,
        sock,
      ]);
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
      expect(fs.lstatSync(sock).isSocket()).toBe(true);
      const r = receiverAt(sock);
      await r.start();
      // The receiver's http server: error/listening listeners after a retried listen.
      const server = (r as unknown as { http?: { server: net.Server } }).http?.server;
      const counts = server
        ? { error: server.listenerCount('error'), listening: server.listenerCount('listening') }
        : 'server not reachable';
      // No listener left behind by the failed first bind: what a fresh HTTP server has (Node's own
      // 'listening' hook for connection tracking).
      expect(counts).toEqual({ error: 0, listening: http.createServer().listenerCount('listening') });
      const ok = await new Promise<boolean>((resolve) => {
        const c = net.connect(sock);
        c.once('connect', () => (c.destroy(), resolve(true)));
        c.once('error', () => resolve(false));
      });
      await r.shutdown(1_000);
      expect(ok).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('transport tcp: EADDRINUSE', () => {
  it('is reported as before, not retried', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const r = new OtlpReceiver(
      { id: 'otlp', baseDir: process.cwd(), logger: silent },
      otlpConfigSchema.parse({ protocols: { http: { endpoint: `127.0.0.1:${port}` } } }),
      { consumeLogs: () => Promise.resolve() },
    );
    const msg = await r.start().then(
      () => 'started',
      (e: Error) => e.message,
    );
    holder.close();
    expect(msg).toMatch(/cannot listen on 127\.0\.0\.1:\d+: listen EADDRINUSE/);
  });
});
