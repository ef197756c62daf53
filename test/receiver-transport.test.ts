/**
 * OTLP receiver transports and limits: TLS, mutual TLS (the client
 * certificate is the recorded identity), unix sockets, CORS, and
 * back-pressure with Retry-After when the WAL queue is full.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { makeCerts } from './helpers/certs.ts';
import { startService, walRecords } from './helpers/startService.ts';
import { exportRaw } from './helpers/rawOtlpGrpc.ts';

const tmp = makeTempDir('otel-audit-transport-');
afterAll(() => tmp.cleanup());
const certs = makeCerts(tmp.dir);
const body = (text: string): Buffer =>
  Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: text })]));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(
  options: https.RequestOptions & { secure?: boolean },
  payload: Buffer | string = '',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (options.secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('TLS and mutual TLS', () => {
  it('HTTPS and gRPC over TLS with client certificates; the certificate subject is the recorded identity', async () => {
    const wal = path.join(tmp.dir, 'wal-mtls');
    const tls = `{ cert_file: ${certs.serverCert}, key_file: ${certs.serverKey}, client_ca_file: ${certs.caCert} }`;
    const svc = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0, tls: ${tls} }
      http: { endpoint: 127.0.0.1:0, tls: ${tls} }
exporters:
  audit_wal: { directory: ${wal} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    try {
      const url = new URL(svc.logsUrl);
      const base = {
        secure: true,
        host: '127.0.0.1',
        port: Number(url.port),
        path: '/v1/logs',
        method: 'POST',
        ca: readFileSync(certs.caCert),
        headers: { 'Content-Type': 'application/x-protobuf' },
      };
      const ok = await request(
        { ...base, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
        body('over mtls'),
      );
      expect(ok.status).toBe(200);
      await expect(request(base, body('no client cert'))).rejects.toThrow();

      const creds = grpc.credentials.createSsl(
        readFileSync(certs.caCert),
        readFileSync(certs.clientKey),
        readFileSync(certs.clientCert),
      );
      const err = await exportRaw(svc.grpcUrl, body('grpc over mtls'), {
        credentials: creds,
        channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
      });
      expect(err).toBeNull();

      const recs = walRecords(wal);
      for (const b of ['over mtls', 'grpc over mtls']) {
        const rec = recs.find((r) => r.body === b);
        const id = rec?.attributes.find((kv) => kv.key === 'audit.client.identity')?.value;
        expect(id, b).toMatch(/^x509:CN=audit-client-1,O=otel-audit tests;sha256=[0-9a-f]{16}$/);
      }
      expect(recs.map((r) => r.body)).not.toContain('no client cert');
    } finally {
      await svc.stop();
    }
  });
});

describe('unix sockets, CORS and back-pressure', () => {
  it('serves OTLP/HTTP on a unix socket', async () => {
    const sock = path.join(tmp.dir, 'otlp.sock');
    const wal = path.join(tmp.dir, 'wal-unix');
    const svc = await startService(`
receivers:
  otlp:
    protocols:
      http: { endpoint: ${sock}, transport: unix }
exporters:
  audit_wal: { directory: ${wal} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    try {
      const r = await request(
        {
          socketPath: sock,
          path: '/v1/logs',
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf' },
        },
        body('via unix'),
      );
      expect(r.status).toBe(200);
      expect(walRecords(wal).map((x) => x.body)).toEqual(['via unix']);
    } finally {
      await svc.stop();
    }
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const svc = await startService(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
        cors: { allowed_origins: ['https://*.example.com'], allowed_headers: [X-Tenant], max_age: 600 }
exporters:
  audit_wal: { directory: ${path.join(tmp.dir, 'wal-cors')} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    try {
      const url = new URL(svc.logsUrl);
      const pre = (origin: string) =>
        request({
          host: '127.0.0.1',
          port: Number(url.port),
          path: '/v1/logs',
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
        });
      const ok = await pre('https://app.example.com');
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(ok.headers['access-control-allow-headers']).toContain('X-Tenant');
      expect(ok.headers['access-control-max-age']).toBe('600');
      const denied = await pre('https://evil.test');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await svc.stop();
    }
  });

  it('refuses with 429 and Retry-After when the WAL queue is full; every 200 is durable', async () => {
    const wal = path.join(tmp.dir, 'wal-full');
    const svc = await startService(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal: { directory: ${wal}, queue_records_max: 1, when_queue_full: reject }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    try {
      const url = new URL(svc.logsUrl);
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(
            {
              host: '127.0.0.1',
              port: Number(url.port),
              path: '/v1/logs',
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
            },
            JSON.stringify({
              resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: `r${i}` } }] }] }],
            }),
          ).then((r) => ({ ...r, i })),
        ),
      );
      const refused = replies.filter((r) => r.status === 429);
      const okays = replies.filter((r) => r.status === 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.headers['retry-after']).toBe('1');
      expect(JSON.parse(refused[0]?.text ?? '{}')).toMatchObject({
        code: 8,
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo' }],
      });
      expect(okays.length + refused.length).toBe(40);
      const stored = walRecords(wal).map((r) => r.body);
      for (const r of okays) expect(stored).toContain(`r${r.i}`);
    } finally {
      await svc.stop();
    }
  });
});
