/**
 * A record a pipeline refuses on its own (here: a filter condition that
 * fails under `error_mode: propagate` because the value is over the regex
 * input cap) must not cost the records sent with it, and the sender must be
 * told exactly that: success with `partial_success` naming the count and the
 * reason — over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC. The other
 * records are durable in the WAL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponseProtobuf } from '../receivers/otlp/rpcStatus.ts';
import { REGEX_INPUT_LENGTH_MAX } from '../processors/filter/match/regex.ts';
import { encodeOtlpLogsJson } from '../src/otlp/jsonCodec.ts';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createAuditRecord, type AuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { exportRawCall } from './helpers/rawOtlpGrpc.ts';
import { startService, walRecords, type RunningService } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-partial-');
let svc: RunningService;

/** A service: otlp (gRPC and HTTP) → `processors` (YAML, named in order by `pipeline`) → audit_wal (`wal`). */
function serviceConfig(processors: string, pipeline: string, wal: string): string {
  return `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
processors:
${processors}
exporters:
  audit_wal: { ${wal} }
service:
  pipelines:
    logs: { receivers: [otlp], processors: [${pipeline}], exporters: [audit_wal] }
`;
}

beforeAll(async () => {
  svc = await startService(
    serviceConfig(
      `  filter/secrets:
    error_mode: propagate
    logs: { log_record: ['IsMatch(attributes["note"], "secret")'] }`,
      'filter/secrets',
      `directory: ${tmp.dir}`,
    ),
  );
});
afterAll(async () => {
  await svc.stop();
  tmp.cleanup();
});

function request(tag: string): AuditRecord[] {
  const note = (body: string, value: string): AuditRecord =>
    createAuditRecord({ body: `${tag} ${body}`, attributes: [{ key: 'note', value }] });
  return [note('kept', 'fine'), note('huge', 'x'.repeat(REGEX_INPUT_LENGTH_MAX + 1)), note('kept too', 'ok')];
}

/** The bodies stored in the WAL at `dir` that start with `tag`, in WAL order. */
function bodiesOf(tag: string, dir = tmp.dir): unknown[] {
  return walRecords(dir)
    .map((r) => r.body)
    .filter((b) => typeof b === 'string' && b.startsWith(`${tag} `));
}

/** POSTs records as OTLP/HTTP protobuf; the answer's status and its partial_success. */
async function postProtobuf(url: string, records: AuditRecord[]) {
  const res = await fetch(url, {
    method: 'POST',
    body: encodeOtlpLogsProtobuf(records),
    headers: { 'Content-Type': 'application/x-protobuf' },
  });
  return { status: res.status, partial: decodeResponseProtobuf(new Uint8Array(await res.arrayBuffer())) };
}

describe('OTLP partial success', () => {
  it('HTTP protobuf: 200 with partial_success (1 refused, the reason), the other records durable', async () => {
    const { status, partial } = await postProtobuf(svc.logsUrl, request('hp'));
    expect(status).toBe(200);
    expect(partial?.rejectedLogRecords).toBe(1);
    expect(partial?.errorMessage).toMatch(/1 record\(s\) refused, 2 accepted and durable/);
    expect(bodiesOf('hp')).toEqual(['hp kept', 'hp kept too']);
  });

  it('HTTP JSON: 200 with partialSuccess', async () => {
    const res = await fetch(svc.logsUrl, {
      method: 'POST',
      body: encodeOtlpLogsJson(request('hj')),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string };
    };
    expect(json.partialSuccess?.rejectedLogRecords).toBe('1');
    expect(json.partialSuccess?.errorMessage).toMatch(/refused/);
    expect(bodiesOf('hj')).toEqual(['hj kept', 'hj kept too']);
  });

  it('gRPC: OK with partial_success', async () => {
    const { error, response } = await exportRawCall(svc.grpcUrl, encodeOtlpLogsProtobuf(request('g')));
    expect(error).toBeNull();
    const partial = decodeResponseProtobuf(response ?? new Uint8Array(0));
    expect(partial?.rejectedLogRecords).toBe(1);
    expect(bodiesOf('g')).toEqual(['g kept', 'g kept too']);
  });

  it('a request with nothing refused gets a plain success (no partial_success)', async () => {
    const { status, partial } = await postProtobuf(svc.logsUrl, [
      createAuditRecord({ body: 'ok fine', attributes: [{ key: 'note', value: 'x' }] }),
    ]);
    expect(status).toBe(200);
    expect(partial).toBeUndefined();
  });
});

/**
 * A record too large for the WAL (`payload_bytes_max`) is refused alone, with or without a hash chain:
 * the records sent with it are durable and the sender is told so. It used to fail the whole request
 * with 400, and an OTLP sender drops a request answered 400 — valid audit records included.
 */
describe.each([
  ['plain', ''],
  ['chained', 'audit_chain: { stream_id: partial-1 }'],
])('OTLP partial success: a record over payload_bytes_max (%s WAL)', (name, chain) => {
  const dir = tmp.dir + `/${name}`;
  let big: RunningService;
  beforeAll(async () => {
    big = await startService(
      serviceConfig(
        `  filter/drop:
    logs: { log_record: ['attributes["drop"] == "yes"'] }
  ${chain}`,
        chain === '' ? 'filter/drop' : 'filter/drop, audit_chain',
        `directory: ${dir}, payload_bytes_max: 4096`,
      ),
    );
  });
  afterAll(async () => {
    await big.stop();
  });

  const requestOf = (tag: string): AuditRecord[] => [
    createAuditRecord({ body: `${tag} ok-1` }),
    createAuditRecord({ body: `${tag} dropped`, attributes: [{ key: 'drop', value: 'yes' }] }),
    createAuditRecord({ body: `${tag} ${'x'.repeat(8192)}` }),
    createAuditRecord({ body: `${tag} ok-2` }),
  ];
  const stored = (tag: string): unknown[] => bodiesOf(tag, dir);

  it('HTTP: 200 with partial_success naming the record and the limit; the others durable, once, in order', async () => {
    const { status, partial } = await postProtobuf(big.logsUrl, requestOf('h'));
    expect(status).toBe(200);
    expect(partial?.rejectedLogRecords).toBe(1);
    expect(partial?.errorMessage).toMatch(
      /1 record\(s\) refused, 3 accepted \(2 durable, 1 dropped by a processor\)/,
    );
    expect(partial?.errorMessage).toMatch(/4096/);
    expect(stored('h')).toEqual(['h ok-1', 'h ok-2']);
  });

  it('gRPC: OK with partial_success', async () => {
    const { error, response } = await exportRawCall(big.grpcUrl, encodeOtlpLogsProtobuf(requestOf('g')));
    expect(error).toBeNull();
    expect(decodeResponseProtobuf(response ?? new Uint8Array(0))?.rejectedLogRecords).toBe(1);
    expect(stored('g')).toEqual(['g ok-1', 'g ok-2']);
  });
});
