/**
 * The OTLP/gRPC server's transport limits, with real clients: peers that
 * open a connection and send nothing, stall mid-message or open too many
 * connections are dropped, while the official OpenTelemetry gRPC exporter
 * on its own connection keeps being served. Also pins the HTTP/2 windows
 * (set through grpc-js internals, see http2Transport.ts).
 */
import http2 from 'node:http2';
import net from 'node:net';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogBatch, LogsConsumer } from '../../../src/pipeline/consumer.ts';
import { grpcSchema, limitsSchema } from '../config.ts';
import { decodeLimitsOf } from '../OtlpReceiver.ts';
import { OtlpGrpcServer } from './OtlpGrpcServer.ts';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

class Collecting implements LogsConsumer {
  records = 0;
  delayMs = 0;
  async consumeLogs(batch: LogBatch): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.records += batch.records.length;
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startServer(
  config: Record<string, unknown>,
): Promise<{ server: OtlpGrpcServer; sink: Collecting }> {
  const sink = new Collecting();
  const server = new OtlpGrpcServer({
    config: grpcSchema.parse({ endpoint: '127.0.0.1:0', ...config }),
    limits: decodeLimitsOf(limitsSchema.parse({})),
    next: sink,
    authenticator: undefined,
    baseDir: process.cwd(),
  });
  await server.listen();
  cleanups.push(() => server.close(1_000));
  return { server, sink };
}

/** The official exporter on one connection: `send(n)` emits n records and flushes them (OK or throws). */
function officialClient(endpoint: string): { send(n: number): Promise<void> } {
  const exporter = new OTLPLogExporter({ url: `http://${endpoint}` });
  const provider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 5 })],
  });
  cleanups.push(() => provider.shutdown());
  const logger = provider.getLogger('grpc-limits-test');
  let failure: unknown;
  const original = exporter.export.bind(exporter);
  exporter.export = (records, done) =>
    original(records, (result) => {
      if (result.error) failure = result.error;
      done(result);
    });
  return {
    async send(n) {
      for (let i = 0; i < n; i++) logger.emit({ body: `record ${i}`, severityNumber: 9 });
      await provider.forceFlush();
      if (failure !== undefined) throw failure;
    },
  };
}

/** Resolves when the socket is closed by the server; rejects if it is still open after `ms`. */
function closedWithin(socket: net.Socket | http2.ClientHttp2Session, ms: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

function rawHttp2(endpoint: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://${endpoint}`);
  session.on('error', () => undefined);
  cleanups.push(() => session.destroy());
  return session;
}

function rawSocket(endpoint: string): net.Socket {
  const [host, port] = [
    endpoint.slice(0, endpoint.lastIndexOf(':')),
    endpoint.slice(endpoint.lastIndexOf(':') + 1),
  ];
  const socket = net.connect({ host, port: Number(port) });
  socket.on('error', () => undefined);
  socket.resume(); // read what the server sends, or its close is never seen
  cleanups.push(() => socket.destroy());
  return socket;
}

describe('OTLP/gRPC transport limits', () => {
  it('advertises the configured HTTP/2 stream and connection windows', async () => {
    const { server } = await startServer({ initial_window_size: 2 << 20, initial_conn_window_size: 8 << 20 });
    const session = rawHttp2(server.endpoint);
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    expect(settings.initialWindowSize).toBe(2 << 20);
    // The connection window is raised by a WINDOW_UPDATE right after the SETTINGS frame.
    await new Promise((r) => setTimeout(r, 100));
    expect(session.state.remoteWindowSize).toBe(8 << 20);
  });

  it('closes a connection that sends nothing after preface_timeout; an exporter stays served', async () => {
    const { server, sink } = await startServer({ preface_timeout: '300ms' });
    const client = officialClient(server.endpoint);
    await client.send(3);
    const silent = rawSocket(server.endpoint);
    await new Promise((resolve) => silent.once('connect', resolve));
    const closedAfterMs = await closedWithin(silent, 3_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    // the exporter's connection sent its preface: idle for longer than preface_timeout, it is still usable
    await client.send(2);
    expect(sink.records).toBe(5);
  });

  it('ends a call whose message stalls with DEADLINE_EXCEEDED after read_timeout; an exporter stays served', async () => {
    const { server, sink } = await startServer({ read_timeout: '300ms' });
    const client = officialClient(server.endpoint);
    const session = rawHttp2(server.endpoint);
    const stream = session.request({
      ':method': 'POST',
      ':path': EXPORT_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    // a message header announcing 1,000 bytes, then 10 of them, then nothing
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1_000, 1);
    stream.write(Buffer.concat([header, Buffer.alloc(10)]));
    const t0 = Date.now();
    const answer = new Promise<{ status: string | undefined; ms: number }>((resolve) => {
      let status: string | undefined;
      stream.on('response', (h) => (status ??= h['grpc-status'] as string | undefined));
      stream.on('trailers', (h) => (status ??= h['grpc-status'] as string | undefined));
      stream.resume();
      stream.on('close', () => resolve({ status, ms: Date.now() - t0 }));
    });
    await client.send(4);
    const { status, ms } = await Promise.race([
      answer,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer in 5 s')), 5_000).unref(),
      ),
    ]);
    expect(status).toBe('4'); // DEADLINE_EXCEEDED
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
    await client.send(1);
    expect(sink.records).toBe(5);
  });

  it('read_timeout does not cut off a call whose request arrived and that waits for the pipeline', async () => {
    const { server, sink } = await startServer({ read_timeout: '200ms' });
    sink.delayMs = 700;
    await officialClient(server.endpoint).send(3);
    expect(sink.records).toBe(3);
  });

  it('closes a connection max_connection_age_grace after its max_connection_age, even with a call open', async () => {
    const { server } = await startServer({
      read_timeout: '0s',
      keepalive: { server_parameters: { max_connection_age: '200ms', max_connection_age_grace: '200ms' } },
    });
    const session = rawHttp2(server.endpoint);
    const stream = session.request({
      ':method': 'POST',
      ':path': EXPORT_PATH,
      'content-type': 'application/grpc',
    });
    stream.on('error', () => undefined);
    stream.write(Buffer.from([0, 0, 0, 1, 0])); // a message of 256 bytes that never comes
    // age 200 ms ± 10 % (GOAWAY), then grace 200 ms; grpc-js's own default grace is unlimited
    expect(await closedWithin(session, 3_000)).toBeLessThan(3_000);
  });

  it('closes connections beyond max_connections on accept; an exporter stays served', async () => {
    const { server, sink } = await startServer({ max_connections: 3 });
    const client = officialClient(server.endpoint);
    await client.send(2); // connection 1
    const held = [rawHttp2(server.endpoint), rawHttp2(server.endpoint)]; // connections 2 and 3
    await Promise.all(held.map((s) => new Promise((resolve) => s.once('remoteSettings', resolve))));
    const extra = rawSocket(server.endpoint);
    await closedWithin(extra, 2_000);
    await client.send(3);
    expect(sink.records).toBe(5);
    // a slot freed by a closed connection is available again
    held[0]?.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const next = rawHttp2(server.endpoint);
    await new Promise((resolve) => next.once('remoteSettings', resolve));
    expect(next.closed).toBe(false);
  });
});
