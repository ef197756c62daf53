/**
 * Bad input to the OTLP receiver: each gets the right status and a message
 * naming the problem, the server keeps serving, and every record
 * acknowledged before is still intact.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusProtobuf } from '../receivers/otlp/rpcStatus.ts';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { startService, walRecords, type RunningService } from './helpers/startService.ts';
import { exportRaw } from './helpers/rawOtlpGrpc.ts';

const tmp = makeTempDir('otel-audit-bad-');
let svc: RunningService;
const TOKEN = 'tok-' + 'x'.repeat(20);

beforeAll(async () => {
  svc = await startService(
    `
extensions:
  bearertokenauth:
    token: \${env:AUDIT_TOKEN}
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0, auth: { authenticator: bearertokenauth }, max_recv_msg_size_mib: 1 }
      http: { endpoint: 127.0.0.1:0, auth: { authenticator: bearertokenauth }, max_request_body_size: 65536 }
    limits: { max_nesting_depth: 8, max_records_per_request: 1000 }
exporters:
  audit_wal: { directory: ${tmp.dir} }
service:
  extensions: [bearertokenauth]
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`,
    { AUDIT_TOKEN: TOKEN },
  );
});
afterAll(async () => {
  await svc.stop();
  tmp.cleanup();
});

const auth = { Authorization: `Bearer ${TOKEN}` };
const proto = (body: string) => encodeOtlpLogsProtobuf([createAuditRecord({ body })]);

async function post(
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(svc.logsUrl, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

let acked = 0;
async function ackOne(tag: string): Promise<void> {
  const r = await post(proto(tag), { ...auth, 'Content-Type': 'application/x-protobuf' });
  expect(r.status).toBe(200);
  acked++;
}

function nested(depth: number): unknown {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

describe('OTLP/HTTP bad input', () => {
  it('accepts the shared OTLP/JSON example (upper-case ids, int64 as strings)', async () => {
    const body = readFileSync('testdata/otlp/logs.json', 'utf8');
    const r = await post(body, { ...auth, 'Content-Type': 'application/json' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    acked += 1;
    const rec = walRecords(tmp.dir).find((x) => x.body === 'Example log record');
    expect(rec?.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(rec?.attributes).toContainEqual({ key: 'int.attribute', value: 10n });
  });

  const cases: Array<
    [string, () => Promise<{ status: number; text: string; headers: Headers }>, number, RegExp]
  > = [
    [
      'truncated protobuf',
      async () =>
        post(proto('truncated').subarray(0, 7), { ...auth, 'Content-Type': 'application/x-protobuf' }),
      400,
      /resourceLogs\[0\]: length \d+ exceeds the \d+ bytes left/,
    ],
    [
      'invalid JSON',
      async () => post('{"resourceLogs": [', { ...auth, 'Content-Type': 'application/json' }),
      400,
      /JSON/i,
    ],
    [
      'wrong content type',
      async () => post('hello', { ...auth, 'Content-Type': 'text/plain' }),
      415,
      /unsupported media type/,
    ],
    [
      'wrong field types',
      async () =>
        post(
          JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'high' }] }] }] }),
          { ...auth, 'Content-Type': 'application/json' },
        ),
      400,
      /severityNumber/,
    ],
    [
      'too-deep nesting',
      async () =>
        post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: nested(20) }] }] }] }), {
          ...auth,
          'Content-Type': 'application/json',
        }),
      400,
      /depth|nest/i,
    ],
    [
      'gzip bomb over the limit',
      async () =>
        post(gzipSync(Buffer.alloc(50 * 1024 * 1024)), {
          ...auth,
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'gzip',
        }),
      413,
      /max_request_body_size/,
    ],
    [
      'unknown content encoding',
      async () =>
        post(proto('x'), { ...auth, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'lzma' }),
      400,
      /Content-Encoding/,
    ],
    [
      'missing token',
      async () => post(proto('x'), { 'Content-Type': 'application/x-protobuf' }),
      401,
      /unauthenticated/,
    ],
    [
      'wrong token',
      async () =>
        post(proto('x'), { Authorization: 'Bearer nope', 'Content-Type': 'application/x-protobuf' }),
      401,
      /invalid token/,
    ],
  ];

  for (const [name, send, status, message] of cases) {
    it(`${name} → ${status}, server still up, acknowledged records intact`, async () => {
      await ackOne(`before ${name}`);
      const r = await send();
      expect(r.status).toBe(status);
      const text =
        r.headers.get('content-type') === 'application/json'
          ? (JSON.parse(r.text) as { message: string }).message
          : r.text;
      expect(text).toMatch(message);
      await ackOne(`after ${name}`);
      const bodies = walRecords(tmp.dir).map((x) => x.body);
      expect(bodies).toHaveLength(acked);
      expect(bodies).toContain(`before ${name}`);
      expect(bodies).toContain(`after ${name}`);
    });
  }

  it('answers 405 for GET and 404 for other paths; the status body is a google.rpc.Status', async () => {
    const get = await fetch(svc.logsUrl, { headers: { 'Content-Type': 'application/x-protobuf' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const status = decodeStatusProtobuf(new Uint8Array(await get.arrayBuffer()));
    expect(status.message).toMatch(/not allowed/);
    const traces = await fetch(`${svc.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(traces.status).toBe(404);
  });

  it('a sender cannot forge the identity attributes', async () => {
    const forged = encodeOtlpLogsProtobuf([
      createAuditRecord({
        body: 'forged',
        attributes: [{ key: 'audit.client.identity', value: 'bearer:someone-else' }],
      }),
    ]);
    expect((await post(forged, { ...auth, 'Content-Type': 'application/x-protobuf' })).status).toBe(200);
    acked++;
    const rec = walRecords(tmp.dir).find((x) => x.body === 'forged');
    const ids = rec?.attributes.filter((kv) => kv.key === 'audit.client.identity').map((kv) => kv.value);
    expect(ids).toHaveLength(1);
    expect(ids?.[0]).toMatch(/^bearer:[0-9a-f]{16}$/);
    expect(ids?.[0]).not.toBe('bearer:someone-else');
  });
});

describe('OTLP/gRPC bad input', () => {
  function call(body: Uint8Array, token?: string): Promise<grpc.ServiceError | null> {
    return exportRaw(svc.grpcUrl, body, token === undefined ? {} : { bearerToken: token });
  }

  it('acknowledges a good request', async () => {
    expect(await call(proto('grpc ok'), TOKEN)).toBeNull();
    acked++;
    expect(walRecords(tmp.dir).map((r) => r.body)).toContain('grpc ok');
  });

  it('truncated protobuf → INVALID_ARGUMENT with a google.rpc.Status', async () => {
    const err = await call(proto('cut').subarray(0, 7), TOKEN);
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const details = err?.metadata.get('grpc-status-details-bin')[0];
    expect(details).toBeInstanceOf(Buffer);
    expect(decodeStatusProtobuf(details as Buffer).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('missing or wrong token → UNAUTHENTICATED', async () => {
    expect((await call(proto('x')))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(proto('x'), 'wrong'))?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('a message over max_recv_msg_size_mib → RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const big = encodeOtlpLogsProtobuf([createAuditRecord({ body: 'y'.repeat(2 * 1024 * 1024) })]);
    expect((await call(big, TOKEN))?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await call(proto('grpc after big'), TOKEN)).toBeNull();
    acked++;
    expect(walRecords(tmp.dir)).toHaveLength(acked);
  });
});
