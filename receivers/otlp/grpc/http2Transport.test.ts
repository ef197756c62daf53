/**
 * The transport limits are set through grpc-js's private `http2Servers`
 * field: a grpc-js whose server no longer has it must fail the receiver's
 * start loudly (and free its port), never run without the limits.
 */
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { OtelAuditError } from '../../../src/errors.ts';
import { grpcSchema, limitsSchema } from '../config.ts';
import { decodeLimitsOf } from '../OtlpReceiver.ts';
import type * as Http2TransportModule from './http2Transport.ts';
import { http2ServersOf, tuneHttp2Transport } from './http2Transport.ts';
import { OtlpGrpcServer } from './OtlpGrpcServer.ts';
import { MAX_HEADER_LIST_BYTES } from './streamCost.ts';

const tuning = vi.hoisted(() => ({ failWith: undefined as Error | undefined }));
vi.mock('./http2Transport.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof Http2TransportModule>();
  return {
    ...orig,
    tuneHttp2Transport: (...args: Parameters<typeof orig.tuneHttp2Transport>): void => {
      if (tuning.failWith !== undefined) throw tuning.failWith;
      orig.tuneHttp2Transport(...args);
    },
  };
});

const OPTIONS = {
  streamWindowBytes: 1 << 20,
  connectionWindowBytes: 4 << 20,
  maxConnections: 0,
  prefaceTimeoutMs: 0,
  readTimeoutMs: 0,
};

function lifecycleError(f: () => unknown): OtelAuditError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OtelAuditError);
    expect((err as OtelAuditError).code).toBe('LIFECYCLE');
    return err as OtelAuditError;
  }
  throw new Error('did not throw');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('http2Transport: grpc-js private http2Servers', () => {
  it('finds the HTTP/2 server of a bound grpc-js server (the field this grpc-js version has)', async () => {
    const server = new grpc.Server();
    await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    try {
      const found = http2ServersOf(server);
      expect(found.length).toBe(1);
      expect(found[0]?.listening).toBe(true);
    } finally {
      server.forceShutdown();
    }
  });

  it('advertises the stream window and a 64 KiB header list limit (streamCost.ts) in its SETTINGS', async () => {
    // Node 24 and grpc-js advertised no header list limit (4294967295): the largest call config.ts counts
    // could be exceeded by a call's headers alone
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    tuneHttp2Transport(server, OPTIONS);
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const settings = await new Promise<http2.Settings>((r) => client.once('remoteSettings', r));
      expect(settings.initialWindowSize).toBe(OPTIONS.streamWindowBytes);
      expect(settings.maxHeaderListSize).toBe(MAX_HEADER_LIST_BYTES);
      expect(MAX_HEADER_LIST_BYTES).toBe(64 * 1024);
    } finally {
      client.destroy();
      server.forceShutdown();
    }
  });

  it('throws LIFECYCLE when the field is missing or not a Map, or nothing is bound', () => {
    expect(lifecycleError(() => http2ServersOf({} as grpc.Server)).message).toMatch(/no http2Servers map/);
    lifecycleError(() => http2ServersOf({ http2Servers: [] } as unknown as grpc.Server));
    expect(lifecycleError(() => tuneHttp2Transport(new grpc.Server(), OPTIONS)).message).toMatch(
      /bound no HTTP\/2 server/,
    );
  });

  it('a tuning failure fails OtlpGrpcServer.listen and frees its port', async () => {
    const port = await freePort();
    const server = new OtlpGrpcServer({
      config: grpcSchema.parse({ endpoint: `127.0.0.1:${port}` }),
      limits: decodeLimitsOf(limitsSchema.parse({})),
      next: { consumeLogs: () => Promise.resolve() },
      authenticator: undefined,
      baseDir: process.cwd(),
    });
    tuning.failWith = new OtelAuditError('LIFECYCLE', 'planted: no http2Servers map');
    try {
      await expect(server.listen()).rejects.toBe(tuning.failWith);
    } finally {
      tuning.failWith = undefined;
    }
    // the port is free again: the collector's start failed, nothing listens without the limits
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => probe.close(resolve));
  });
});
