/**
 * `protocols::http::max_connections` (otel-audit, as gRPC's): connections beyond it are closed as soon as they
 * are accepted, so a flood of idle connections (which `max_concurrent_requests` never sees: they send no
 * request) cannot hold unbounded sockets; a freed slot serves again. 0: no limit.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { otlpConfigSchema } from './config.ts';
import { recordingHttpReceiver } from './testing/loopbackReceiver.ts';

/** An idle TCP connection to `endpoint` (host:port), once connected. */
async function idleConnection(endpoint: string): Promise<net.Socket> {
  const [host, port] = [
    endpoint.slice(0, endpoint.lastIndexOf(':')),
    Number(endpoint.slice(endpoint.lastIndexOf(':') + 1)),
  ];
  const socket = net.connect({ host, port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Whether `socket` is closed by the other side within `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function post(endpoint: string, body: string): Promise<number> {
  const res = await fetch(`http://${endpoint}/v1/logs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', Connection: 'close' },
    body: Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body })])),
  });
  await res.arrayBuffer();
  return res.status;
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('http max_connections', () => {
  it('defaults to 1024', () => {
    expect(otlpConfigSchema.parse({ protocols: { http: {} } }).protocols.http?.max_connections).toBe(1024);
  });

  describe('at 2', () => {
    const { receiver, seen } = recordingHttpReceiver({ endpoint: '127.0.0.1:0', max_connections: 2 });
    it('closes a third connection on accept while two are held; a freed slot serves a request', async () => {
      const endpoint = receiver.endpoints.http ?? '';
      const held = [await idleConnection(endpoint), await idleConnection(endpoint)];
      await settle(50); // both accepted by the server
      const third = await idleConnection(endpoint);
      expect(await closedWithin(third, 2_000)).toBe(true);
      expect(held.map((s) => s.destroyed)).toEqual([false, false]);
      held[0]?.destroy();
      await settle(100); // the server saw it close
      expect(await post(endpoint, 'after a slot was freed')).toBe(200);
      expect(seen.flatMap((b) => b.records.map((r) => r.body))).toEqual(['after a slot was freed']);
      held[1]?.destroy();
    });
  });

  describe('at 0 (no limit)', () => {
    const { receiver } = recordingHttpReceiver({ endpoint: '127.0.0.1:0', max_connections: 0 });
    it('keeps every connection and serves beside them', async () => {
      const endpoint = receiver.endpoints.http ?? '';
      const held = await Promise.all(Array.from({ length: 8 }, () => idleConnection(endpoint)));
      expect(await closedWithin(held[7] as net.Socket, 300)).toBe(false);
      expect(await post(endpoint, 'beside 8 idle connections')).toBe(200);
      for (const s of held) s.destroy();
    });
  });
});
