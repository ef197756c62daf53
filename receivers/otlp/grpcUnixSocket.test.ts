/**
 * gRPC `transport: unix`, as HTTP's (unixSocket.ts): a regular file at the socket path is never deleted (a
 * mistyped path to data), a live listener's socket is not taken over, a stale socket is removed. Found by
 * review (2026-11-27): the gRPC server removed whatever file was at the path before binding.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { otlpConfigSchema } from './config.ts';
import { OtlpReceiver } from './OtlpReceiver.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const grpcAt = (sock: string): OtlpReceiver =>
  new OtlpReceiver(
    { id: 'otlp', baseDir: process.cwd(), logger: silent },
    otlpConfigSchema.parse({ protocols: { grpc: { endpoint: sock, transport: 'unix' } } }),
    { consumeLogs: () => Promise.resolve() },
  );

describe('grpc transport unix', () => {
  it('does not delete a regular file at the endpoint path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-unix-'));
    const precious = path.join(dir, 'segment-000001.wal');
    fs.writeFileSync(precious, 'acknowledged audit records');
    const r = grpcAt(precious);
    const started = await r.start().then(
      () => true,
      () => false,
    );
    const stillThere = fs.existsSync(precious) && fs.statSync(precious).isFile();
    if (started) await r.shutdown(1_000);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(stillThere).toBe(true);
    expect(started).toBe(false);
  });

  it('removes a stale socket (no one listening) and serves there', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-unix-'));
    const sock = path.join(dir, 'otlp.sock');
    const gone = net.createServer();
    await new Promise<void>((res) => gone.listen(sock, res));
    // A listener that died without unlinking its socket file (libuv unlinks it at close: moved away meanwhile).
    fs.renameSync(sock, `${sock}.keep`);
    await new Promise<void>((res) => gone.close(() => res()));
    fs.renameSync(`${sock}.keep`, sock);
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    const r = grpcAt(sock);
    await r.start();
    const connected = await new Promise<boolean>((resolve) => {
      const c = net.connect(sock);
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    await r.shutdown(1_000);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(connected).toBe(true);
  });

  it("does not take over a live listener's socket", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-unix-'));
    const sock = path.join(dir, 'otlp.sock');
    const other = net.createServer((c) => c.destroy());
    await new Promise<void>((res) => other.listen(sock, res));
    const r = grpcAt(sock);
    const started = await r.start().then(
      () => true,
      () => false,
    );
    if (started) await r.shutdown(1_000);
    await new Promise<void>((res) => other.close(() => res()));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(started).toBe(false);
  });
});
