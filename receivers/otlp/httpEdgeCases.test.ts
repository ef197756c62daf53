/**
 * Edge cases of the OTLP/HTTP receiver, from an adversarial review (2026-11-27): hostile and unusual
 * bodies (bombs, Content-Length lies, zstd frames, trailing bytes, encodings), timeouts during shutdown
 * and TLS handshakes, unix socket paths, header configuration, JSON edge cases, statuses and the
 * identity stamped. The cases the review found wrong each failed on the code before the fix.
 */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { gzipSync, zstdCompressSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBatch } from '../../src/pipeline/consumer.ts';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { otlpConfigSchema } from './config.ts';
import { httpReceiver, recordingHttpReceiver } from './testing/loopbackReceiver.ts';

function hostPort(endpoint: string | undefined): { host: string; port: number } {
  const i = (endpoint ?? '').lastIndexOf(':');
  return { host: (endpoint ?? '').slice(0, i), port: Number((endpoint ?? '').slice(i + 1)) };
}

const proto = (text: string): Buffer =>
  Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: text })]));

/** Streams `total` bytes with Content-Length in 64 KiB writes; resolves with the status or the client error. */
function streamPost(
  ep: { host: string; port: number },
  total: number,
  headers: Record<string, string> = {},
): Promise<{ status?: number; error?: string; text?: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        ...ep,
        path: '/v1/logs',
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': String(total), ...headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ status: res.statusCode, error: String(e) }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? String(e) }));
    const chunk = randomBytes(64 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        const more = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (!more) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** `attempt` made 10 times in a row: each outcome, a status or `error <code>`. */
async function tenTries(attempt: () => Promise<{ status?: number; error?: string }>): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await attempt();
    outcomes.push(r.status !== undefined ? String(r.status) : `error ${r.error}`);
  }
  return outcomes;
}

describe('oversized bodies still being sent', () => {
  const { receiver } = recordingHttpReceiver({
    endpoint: '127.0.0.1:0',
    max_request_body_size: 65_536,
  });

  it('a 16 MiB body over a 64 KiB limit gets its 413, not a connection reset (10 tries)', async () => {
    const ep = hostPort(receiver.endpoints.http);
    expect(await tenTries(() => streamPost(ep, 16 * 1024 * 1024))).toEqual(Array(10).fill('413'));
  });
});

describe('oversized compressed / chunked bodies still being sent', () => {
  const receiver = httpReceiver(
    { endpoint: '127.0.0.1:0', max_request_body_size: 65_536 },
    { consumeLogs: () => Promise.resolve() },
  );
  beforeAll(() => receiver.start());
  afterAll(() => receiver.shutdown(2_000));

  it('gzip-labelled 16 MiB body with its Content-Length over the wire limit gets 413 (10 tries)', async () => {
    const ep = hostPort(receiver.endpoints.http);
    expect(await tenTries(() => streamPost(ep, 16 * 1024 * 1024, { 'Content-Encoding': 'gzip' }))).toEqual(
      Array(10).fill('413'),
    );
  });

  for (const encoding of ['identity', 'gzip']) {
    it(`chunked 16 MiB ${encoding} body (no Content-Length: the wire limit is hit mid-stream) gets 413 (10 tries)`, async () => {
      const ep = hostPort(receiver.endpoints.http);
      const outcomes = await tenTries(
        () =>
          new Promise<{ status?: number; error?: string }>((resolve) => {
            const req = http.request(
              {
                ...ep,
                path: '/v1/logs',
                method: 'POST',
                headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': encoding },
                agent: false,
              },
              (res) => {
                res.resume();
                res.on('end', () => resolve({ status: res.statusCode }));
              },
            );
            req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code }));
            const chunk = randomBytes(64 * 1024);
            let n = 0;
            const pump = (): void => {
              while (n < 256) {
                n++;
                if (!req.write(chunk)) return void req.once('drain', pump);
              }
              req.end();
            };
            pump();
          }),
      );
      expect(outcomes).toEqual(Array(10).fill('413'));
    });
  }
});

describe('read_timeout during a shutdown (Node stopped enforcing it once close() began)', () => {
  it('a stalled body is cut by read_timeout (600 ms) during the drain, not held until the shutdown deadline', async () => {
    const receiver = httpReceiver(
      { endpoint: '127.0.0.1:0', read_timeout: '600ms' },
      { consumeLogs: () => Promise.resolve() },
    );
    await receiver.start();
    const socket = net.connect(hostPort(receiver.endpoints.http));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.write(
      'POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nabc',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = performance.now();
    await receiver.shutdown(8_000); // docs/receiver.md §5: "read_timeout (default 30 s) cuts it off"
    const tookMs = performance.now() - t0;
    socket.destroy();
    // Node's server.close() clears the connectionsCheckingInterval (httpServerPreClose), so requestTimeout
    // is never checked again: the drain waits for the whole 8 s deadline (for ever with shutdown(Infinity)).
    expect(tookMs).toBeLessThan(4_000);
  });
});

describe('encodings and bombs', () => {
  const { receiver } = recordingHttpReceiver({
    endpoint: '127.0.0.1:0',
    max_request_body_size: 65_536,
  });
  const post = async (body: Uint8Array, headers: Record<string, string>) => {
    const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      body,
      headers,
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const zeros = Buffer.alloc(50 * 1024 * 1024);
  for (const [enc, f] of [
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['zlib', deflateSync],
    ['br', brotliCompressSync],
    ['zstd', zstdCompressSync],
    ['GZIP', gzipSync],
  ] as const) {
    it(`${enc}: a valid body is 200 and a 50 MiB bomb is 413`, async () => {
      const ok = await post(f(proto(`enc ${enc}`)), {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': enc,
      });
      expect(ok.status).toBe(200);
      const bomb = await post(f(zeros), {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': enc,
      });
      expect(bomb.status).toBe(413);
    });
  }
  it('Content-Encoding lists / unknown → 400 naming the header', async () => {
    for (const enc of ['gzip, identity', 'snappy', 'lz4']) {
      const r = await post(gzipSync(proto('x')), {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': enc,
      });
      expect(r.status, enc).toBe(400);
      expect(r.text, enc).toContain(`unsupported Content-Encoding "${enc}"`);
    }
  });
  it('corrupt gzip, empty gzip body, truncated gzip → 400', async () => {
    const g = gzipSync(proto('x'));
    for (const body of [Buffer.from('not gzip'), Buffer.alloc(0), g.subarray(0, g.length - 5)]) {
      const r = await post(body, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
      expect(r.status, `gzip body of ${body.length} bytes`).toBe(400);
      expect(r.text).toContain('cannot decompress gzip body');
    }
  });
});

describe('decoder errors all map to 400 (never 503 = retried for ever)', () => {
  it('random byte mutations of protobuf and JSON requests', async () => {
    const { decodeOtlpLogsProtobuf } = await import('../../src/otlp/protobufCodec.ts');
    const { decodeOtlpLogsJson, encodeOtlpLogsJson } = await import('../../src/otlp/jsonCodec.ts');
    const { mapPipelineError } = await import('./errorMapping.ts');
    const { resolveDecodeLimits } = await import('../../src/record/DecodeLimits.ts');
    const { stampClient } = await import('./clientAttributes.ts');
    const limits = resolveDecodeLimits({ anyValueDepthMax: 8 });
    const recs = [
      createAuditRecord({
        body: { values: [{ key: 'a', value: [1n, 'x', true, 2.5, null, [new Uint8Array([9])]] }] } as never,
        attributes: [
          { key: 'k', value: 'v' },
          { key: 'b', value: new Uint8Array([1, 2, 3]) },
          { key: 'i', value: 42n },
        ],
        traceId: '0123456789abcdef0123456789abcdef',
        spanId: '0123456789abcdef',
        severityNumber: 9,
        severityText: 'INFO',
      } as never),
      createAuditRecord({ body: 'second' }),
    ];
    const pb = Buffer.from(encodeOtlpLogsProtobuf(recs));
    const js = Buffer.from(encodeOtlpLogsJson(recs));
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bad: string[] = [];
    for (const [kind, base] of [
      ['pb', pb],
      ['json', js],
    ] as const) {
      for (let i = 0; i < 30_000; i++) {
        const b = Buffer.from(base);
        const muts = 1 + rnd(4);
        for (let m = 0; m < muts; m++) {
          const op = rnd(3);
          const at = rnd(b.length);
          if (op === 0) b[at] = rnd(256);
          else if (op === 1)
            b[at] = kind === 'json' ? '{}[]",:0-9eE.\\ntu'.charCodeAt(rnd(18)) : b[at]! ^ (1 << rnd(8));
          else b[at] = 0x80 | rnd(128);
        }
        try {
          const out =
            kind === 'pb'
              ? decodeOtlpLogsProtobuf(b, { limits, keepWireBytes: true })
              : decodeOtlpLogsJson(b, { limits });
          stampClient(out, { address: '1.2.3.4', protocol: 'p' } as never);
        } catch (err) {
          if (mapPipelineError(err).httpStatus !== 400 && bad.length < 10)
            bad.push(`${kind}: ${String(err)} ${(err as Error).stack?.split('\n')[1] ?? ''}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('JSON edge cases, statuses, identity over HTTP', () => {
  const seen: LogBatch[] = [];
  const receiver = httpReceiver(
    {
      endpoint: '127.0.0.1:0',
      cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['Authorization'], max_age: 60 },
    },
    { consumeLogs: (b) => Promise.resolve(void seen.push(b)) },
  );
  beforeAll(() => receiver.start());
  afterAll(() => receiver.shutdown(2_000));
  const url = (p = '/v1/logs'): string => `http://${receiver.endpoints.http ?? ''}${p}`;
  const postJson = async (obj: unknown, ct = 'application/json') => {
    const res = await fetch(url(), {
      method: 'POST',
      body: typeof obj === 'string' ? obj : JSON.stringify(obj),
      headers: { 'Content-Type': ct },
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const wrap = (rec: unknown, extra: Record<string, unknown> = {}) => ({
    resourceLogs: [{ scopeLogs: [{ logRecords: [rec] }], ...extra }],
  });

  it('edge cases', async () => {
    const REFUSED_RECORDS = new Set([
      'int64 as big number',
      'int64 as float number',
      'int64 string with +',
      'int64 string exponent',
      'hex id base64 (proto3 json)',
      'wrong type body',
      'wrong type attributes',
      'anyvalue two kinds',
      'flags too big',
    ]);
    const cases: Array<[string, unknown, string?]> = [
      [
        'int64 as string',
        { timeUnixNano: '1700000000000000001', body: { intValue: '-9223372036854775808' } },
      ],
      // Sent as JSON.stringify prints these (rounded); exact large numbers are the raw-text case below.
      // eslint-disable-next-line no-loss-of-precision
      ['int64 as big number', { timeUnixNano: 1700000000000000001, body: { intValue: 9223372036854775807 } }],
      ['int64 as float number', { timeUnixNano: 1.5 }],
      ['int64 string with +', { timeUnixNano: '+5' }],
      ['int64 string exponent', { timeUnixNano: '1e3' }],
      ['hex ids upper', { traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174' }],
      ['hex ids mixed', { traceId: '5b8EFFF798038103d269b633813fc60c', spanId: 'eee19B7EC3C1B174' }],
      ['hex id base64 (proto3 json)', { traceId: 'W47/95gDgQPSabYzgT/GDA==' }],
      ['enum name', { severityNumber: 'SEVERITY_NUMBER_WARN' }],
      ['enum int', { severityNumber: 13 }],
      ['enum out of range', { severityNumber: 99 }],
      ['enum negative', { severityNumber: -1 }],
      ['unknown fields', { body: { stringValue: 'u' }, fooBar: 1, nested: { x: [1, 2] } }],
      ['wrong type body', { body: 'plain string' }],
      ['wrong type attributes', { attributes: { key: 'a' } }],
      ['attr without value', { attributes: [{ key: 'a' }] }],
      ['attr value empty object', { attributes: [{ key: 'a', value: {} }] }],
      ['anyvalue two kinds', { body: { stringValue: 'a', intValue: '1' } }],
      ['flags as string', { flags: '1' }],
      ['flags too big', { flags: 4294967296 }],
      ['observedTime only', { observedTimeUnixNano: '1700000000000000000' }],
      ['eventName', { eventName: 'login' }],
      [
        'snake case',
        { time_unix_nano: '5', severity_text: 'X', trace_id: '5b8efff798038103d269b633813fc60c' },
      ],
      ['null fields', { body: null, attributes: null, traceId: null }],
      ['bytes url-safe', { body: { bytesValue: '-_-_' } }],
      ['double strings', { body: { doubleValue: 'NaN' } }],
      ['kvlist', { body: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } }],
    ];
    for (const [name, rec] of cases) {
      const before = seen.length;
      const r = await postJson(wrap(rec));
      const got =
        seen.length > before
          ? JSON.stringify(seen.at(-1)!.records[0], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(
              0,
              300,
            )
          : '';
      const refused = REFUSED_RECORDS.has(name);
      expect(r.status, `${name}: ${r.text.slice(0, 200)}`).toBe(refused ? 400 : 200);
      // Refused: the google.rpc.Status names the field; accepted: the record reached the pipeline.
      if (refused) expect(r.text, name).toMatch(/resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\./);
      else expect(got, name).not.toBe('');
    }
    for (const body of [
      '',
      '{}',
      'null',
      '[]',
      '"x"',
      '{"resourceLogs":{}}',
      '{"resourceLogs":[null]}',
      '\ufeff{}',
      '{"resourceLogs":[]}garbage',
    ]) {
      const r = await postJson(body);
      expect(r.status, `raw ${JSON.stringify(body)}: ${r.text.slice(0, 160)}`).toBe(
        body === '{}' || body === '\ufeff{}' ? 200 : 400,
      );
    }
    for (const ct of [
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json;charset=UTF-16',
      'application/x-protobuf; proto=x',
      'application/protobuf',
      'application/grpc',
      'text/json',
      ' application/json ',
      'application/json, text/plain',
    ]) {
      const r = await postJson(wrap({}), ct);
      // A JSON body labelled protobuf is a protobuf decode error (400, answered in protobuf).
      const want = /grpc|text\/json|text\/plain/.test(ct) ? 415 : /protobuf/.test(ct) ? 400 : 200;
      expect(r.status, `content-type ${JSON.stringify(ct)}: ${r.text.slice(0, 120)}`).toBe(want);
      if (want === 400) expect(r.headers.get('content-type')).toBe('application/x-protobuf');
    }
  });

  it('methods, paths, CORS', async () => {
    for (const [m, p] of [
      ['GET', '/v1/logs'],
      ['PUT', '/v1/logs'],
      ['HEAD', '/v1/logs'],
      ['DELETE', '/v1/traces'],
      ['POST', '/v1/logs/'],
      ['POST', '/V1/LOGS'],
      ['POST', '/v1/logs?x=1'],
      ['POST', '//v1/logs'],
      ['POST', '/v1/%6Cogs'],
    ]) {
      const res = await fetch(url(p), {
        method: m,
        headers: { 'Content-Type': 'application/json' },
        body: m === 'GET' || m === 'HEAD' ? undefined : '{}',
      });
      const text = await res.text();
      const want = p === '/v1/logs' && m !== 'POST' ? 405 : p === '/v1/logs?x=1' ? 200 : 404;
      expect(res.status, `${m} ${p}: ${text.slice(0, 120)}`).toBe(want);
      if (want === 405) expect(res.headers.get('allow')).toBe('POST');
    }
    const pre = await fetch(url('/anything'), {
      method: 'OPTIONS',
      headers: { Origin: 'https://a.example.com', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://a.example.com');
    const evil = await fetch(url(), {
      method: 'OPTIONS',
      headers: { Origin: 'https://a.example.com.evil.test', 'Access-Control-Request-Method': 'POST' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evil2 = await fetch(url(), {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.test/.example.com', 'Access-Control-Request-Method': 'POST' },
    });
    // As the Collector's wildcard (prefix and suffix): no browser sends a path in Origin.
    expect(evil2.status).toBe(204);
    const actual = await fetch(url(), {
      method: 'POST',
      headers: { Origin: 'https://a.example.com', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://a.example.com');
    expect(actual.headers.get('vary')).toContain('Origin');
  });
});

describe('int64 as JSON numbers (raw text)', () => {
  const { receiver, seen } = recordingHttpReceiver({ endpoint: '127.0.0.1:0' });
  it('keeps 9223372036854775807 and 1700000000000000001 exact', async () => {
    const text =
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1700000000000000001,"body":{"intValue":9223372036854775807},"attributes":[{"key":"n","value":{"intValue":-9223372036854775808}},{"key":"d","value":{"doubleValue":12345678901234567890}}]}]}]}]}';
    const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      body: text,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    await res.text();
    const r = seen.at(-1)?.records[0];
    expect(r?.timeUnixNano).toBe(1700000000000000001n);
    expect(r?.body).toBe(9223372036854775807n);
  });
});

describe('transport unix (it deleted whatever file was at the endpoint path)', () => {
  it('does not delete a regular file (e.g. a mistyped path to data) to listen', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-unix-'));
    const precious = path.join(dir, 'precious.seg');
    fs.writeFileSync(precious, 'acknowledged audit records');
    const receiver = httpReceiver(
      { endpoint: precious, transport: 'unix' },
      { consumeLogs: () => Promise.resolve() },
    );
    const started = await receiver.start().then(
      () => true,
      () => false,
    );
    const stillThere = fs.existsSync(precious) && fs.statSync(precious).isFile();
    if (started) await receiver.shutdown(1_000);
    fs.rmSync(dir, { recursive: true, force: true });
    // OtlpHttpServer.listen: `if (fs.existsSync(path)) fs.rmSync(path)` — no check that it is a socket.
    expect(stillThere).toBe(true);
  });
});

/** Runs an OTLP/HTTP receiver with `httpConfig` in a child node process; resolves with its exit code (or 'alive'). */
/**
 * A receiver in a child process (an uncaught exception ends it); `injectResponseHeaders` are set on its
 * parsed config, past the schema's checks (as a bug elsewhere could).
 */
async function childReceiver(
  httpConfig: unknown,
  poke: (endpoint: string) => Promise<void>,
  injectResponseHeaders?: Record<string, string>,
): Promise<{ exit: number | string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  const src = `
import { OtlpReceiver } from '${process.cwd()}/receivers/otlp/OtlpReceiver.ts';
import { otlpConfigSchema } from '${process.cwd()}/receivers/otlp/config.ts';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cfg = otlpConfigSchema.parse({ protocols: { http: ${JSON.stringify(httpConfig)} } });
const inject = ${JSON.stringify(injectResponseHeaders ?? null)};
if (inject) cfg.protocols.http.response_headers = inject;
const r = new OtlpReceiver({ id: 'otlp', baseDir: process.cwd(), logger: silent }, cfg,
  { consumeLogs: () => Promise.resolve() });
await r.start();
console.log('LISTENING ' + r.endpoints.http);
setInterval(() => {}, 1000);
`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', src], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /LISTENING (\S+)/.exec(d.toString());
      if (m) resolve(m[1] as string);
    });
    child.once('exit', () => reject(new Error(`child exited before listening: ${stderr}`)));
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  // The poke's own assertions count: its failure is thrown once the child is gone (not swallowed).
  const pokeFailed = await poke(endpoint).then(
    () => undefined,
    (err: unknown) => ({ err }),
  );
  const exit = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('alive'), 1_500))]);
  child.kill('SIGKILL');
  if (pokeFailed) throw pokeFailed.err instanceof Error ? pokeFailed.err : new Error(String(pokeFailed.err));
  return { exit, stderr };
}

describe('invalid response_headers / cors entries', () => {
  it('are refused by the config schema, naming the header (they crashed the process at the first request)', () => {
    const bad = otlpConfigSchema.safeParse({
      protocols: { http: { endpoint: '127.0.0.1:0', response_headers: { 'X Audit': 'yes' } } },
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('X Audit');
    const badValue = otlpConfigSchema.safeParse({
      protocols: { http: { endpoint: '127.0.0.1:0', response_headers: { 'X-Audit': 'a\nb' } } },
    });
    expect(badValue.success).toBe(false);
    const badCors = otlpConfigSchema.safeParse({
      protocols: {
        http: {
          endpoint: '127.0.0.1:0',
          cors: { allowed_origins: ['https://a.test'], allowed_headers: ['X-A\nX-B'] },
        },
      },
    });
    expect(badCors.success).toBe(false);
  });

  it('one that gets past the schema anyway is a 500 for that request, not the end of the process', async () => {
    const r = await childReceiver(
      { endpoint: '127.0.0.1:0' },
      async (ep) => {
        const res = await fetch(`http://${ep}/v1/logs`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        });
        expect(res.status).toBe(500);
      },
      { 'X Audit': 'yes' },
    );
    expect(r.exit).toBe('alive');
  });
});

describe('hostile Origin bytes are refused by the HTTP parser before CORS', () => {
  // A control byte in a header value is refused by the parser (400); 0xff is a legal obs-text byte.
  for (const [name, byte, status] of [
    ['DEL 0x7f', '\x7f', 400],
    ['NUL', '\x00', 400],
    ['0x01', '\x01', 400],
    ['latin1 0xff', '\xff', 200],
  ] as const) {
    it(`Origin with ${name} inside the wildcard part`, async () => {
      const r = await childReceiver(
        { endpoint: '127.0.0.1:0', cors: { allowed_origins: ['https://*.example.com'] } },
        async (ep) => {
          const socket = net.connect(hostPort(ep));
          await new Promise<void>((resolve) => socket.once('connect', resolve));
          socket.on('error', () => undefined);
          let reply = '';
          socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
          socket.write(
            Buffer.from(
              `POST /v1/logs HTTP/1.1\r\nHost: x\r\nOrigin: https://a${byte}b.example.com\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
              'latin1',
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 500));
          expect(reply.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Bad Request'}`);
          socket.destroy();
        },
      );
      expect(r.exit).toBe('alive');
    });
  }
});

describe('backpressure, shutdown, slow pipeline, address', () => {
  it('slow pipeline longer than read_timeout still gets 200; 503 Retry-After 1 + Connection: close over max_concurrent_requests', async () => {
    const release: Array<() => void> = [];
    const seen: LogBatch[] = [];
    const receiver = httpReceiver(
      { endpoint: '127.0.0.1:0', read_timeout: '500ms', max_concurrent_requests: 1 },
      {
        consumeLogs: (b) =>
          new Promise<void>((resolve) => {
            seen.push(b);
            release.push(resolve);
          }),
      },
    );
    await receiver.start();
    const ep = hostPort(receiver.endpoints.http);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const post = (text: string) =>
      new Promise<{ status?: number; headers?: http.IncomingHttpHeaders; body?: string; error?: string }>(
        (resolve) => {
          const req = http.request(
            {
              ...ep,
              path: '/v1/logs',
              method: 'POST',
              headers: { 'Content-Type': 'application/x-protobuf' },
              agent,
            },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString('latin1')));
              res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
            },
          );
          req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code }));
          req.end(proto(text));
        },
      );
    const first = post('held');
    await new Promise((r) => setTimeout(r, 1_500)); // 3 × read_timeout while the pipeline holds it
    const second = await post('second');
    const shut = receiver.shutdown(5_000);
    await new Promise((r) => setTimeout(r, 100));
    const third = await post('during drain');
    expect(third).toEqual({ error: 'ECONNREFUSED' }); // the listener is closed once the drain begins
    release.splice(0).forEach((f) => f());
    const firstR = await first;
    await shut;
    agent.destroy();
    expect(firstR.status).toBe(200);
    expect(second.status).toBe(503);
    expect(second.headers?.['retry-after']).toBe('1');
  });
});

describe('early refusals with a body still in flight', () => {
  const receiver = httpReceiver(
    { endpoint: '127.0.0.1:0', max_request_body_size: 1_048_576 },
    { consumeLogs: () => Promise.resolve() },
  );
  beforeAll(() => receiver.start());
  afterAll(() => receiver.shutdown(2_000));

  it('a gzip bomb whose wire bytes are still arriving gets 413 (10 tries, fetch)', async () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024 * 1024)); // ~1 MiB on the wire, under the wire limit
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
          body: bomb,
        });
        await res.arrayBuffer();
        outcomes.push(String(res.status));
      } catch (e) {
        outcomes.push(`error ${String((e as { cause?: { code?: string } }).cause?.code ?? e)}`);
      }
    }
    expect(outcomes).toEqual(Array(10).fill('413'));
  });

  it('keep-alive: a 415 / 405 / 404 with a 300 KB body does not desync the next request on the socket', async () => {
    const socket = net.connect(hostPort(receiver.endpoints.http));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    const big = Buffer.alloc(300_000, 0x41);
    const ok = proto('after refusal');
    for (const head of [
      'POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain',
      'PUT /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json',
      'POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json',
    ]) {
      socket.write(`${head}\r\nContent-Length: ${big.length}\r\n\r\n`);
      socket.write(big);
    }
    socket.write(
      `POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${ok.length}\r\n\r\n`,
    );
    socket.write(ok);
    await new Promise((r) => setTimeout(r, 1_000));
    socket.destroy();
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['415', '405', '404', '200']);
  });
});

describe('trailing bytes after the compressed stream', () => {
  const { receiver, seen } = recordingHttpReceiver({ endpoint: '127.0.0.1:0' });
  it('gzip/deflate/zstd/br member followed by more bytes', async () => {
    for (const [enc, f] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['zstd', zstdCompressSync],
      ['br', brotliCompressSync],
    ] as const) {
      for (const [tailName, tail] of [
        ['garbage', Buffer.from('garbage!')],
        ['raw protobuf record', proto('hidden tail record')],
        ['second member', f(proto('second member'))],
      ] as const) {
        const before = seen.length;
        const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': enc },
          body: Buffer.concat([f(proto('first')), tail]),
        });
        const text = await res.text();
        const bodies = seen.slice(before).flatMap((b) => b.records.map((r) => r.body));
        // Never a 200 with part of the body dropped: all of it stored, or refused with nothing stored.
        const what = `${enc} + ${tailName}: ${res.status} ${text.slice(2, 120)}`;
        if (res.status === 200) expect(bodies, what).toEqual(['first', 'second member']);
        else {
          expect(res.status, what).toBe(400);
          expect(bodies, what).toEqual([]);
        }
        // gzip members and zstd frames are decoded one after another (as `gzip -d` and `zstd -d` do).
        if (tailName === 'second member' && (enc === 'gzip' || enc === 'zstd'))
          expect(res.status, what).toBe(200);
      }
    }
  });
});

describe('zstd bodies of several frames (records after the first frame were dropped, yet answered 200)', () => {
  const { receiver, seen } = recordingHttpReceiver({ endpoint: '127.0.0.1:0' });
  it('a request split over two zstd frames (RFC 8878 §3.1; `zstd -d` and the Collector decode both) is stored whole', async () => {
    // One ExportLogsServiceRequest of two ResourceLogs; a protobuf message may be split anywhere, here
    // between its two top-level fields, each compressed as its own frame (pzstd, a per-flush frame writer).
    const a = proto('in frame 1');
    const b = proto('in frame 2');
    const body = Buffer.concat([zstdCompressSync(a), zstdCompressSync(b)]);
    const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'zstd' },
      body,
    });
    await res.arrayBuffer();
    const stored = seen.flatMap((x) => x.records.map((r) => r.body));
    // Before: 200 with stored = ['in frame 1'] only. Every frame is decoded now.
    expect(res.status).toBe(200);
    expect(stored).toEqual(['in frame 1', 'in frame 2']);
  });

  it('a request behind a zstd skippable frame (RFC 8878 §3.1.2) is stored, not acknowledged empty', async () => {
    const skippable = Buffer.alloc(8 + 4);
    skippable.writeUInt32LE(0x184d2a50, 0);
    skippable.writeUInt32LE(4, 4);
    const before = seen.length;
    const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'zstd' },
      body: Buffer.concat([skippable, zstdCompressSync(proto('after a skippable frame'))]),
    });
    await res.arrayBuffer();
    const stored = seen.slice(before).flatMap((x) => x.records.map((r) => r.body));
    expect(res.status).toBe(200);
    expect(stored).toEqual(['after a skippable frame']);
  });
});

describe('a connection that sends nothing', () => {
  it('is closed after read_header_timeout (plain HTTP)', async () => {
    const receiver = httpReceiver(
      { endpoint: '127.0.0.1:0', read_timeout: '800ms', read_header_timeout: '400ms' },
      { consumeLogs: () => Promise.resolve() },
    );
    await receiver.start();
    const socket = net.connect(hostPort(receiver.endpoints.http));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const t0 = performance.now();
    socket.on('data', () => undefined);
    const closed = await Promise.race([
      new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0))),
      new Promise<number>((r) => setTimeout(() => r(Infinity), 8_000)),
    ]);
    socket.destroy();
    await receiver.shutdown(500);
    expect(closed).toBeGreaterThanOrEqual(300);
    expect(closed).toBeLessThan(5_000);
  });
});

describe("HTTPS connections that never finish the TLS handshake (held for Node's 120 s before)", () => {
  it("are closed after read_header_timeout (400 ms), not Node's 120 s handshakeTimeout", async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { makeCerts } = await import('../../test/helpers/certs.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-tls-'));
    const certs = makeCerts(dir);
    const receiver = httpReceiver(
      {
        endpoint: '127.0.0.1:0',
        read_timeout: '800ms',
        read_header_timeout: '400ms',
        tls: { cert_file: certs.serverCert, key_file: certs.serverKey },
      },
      { consumeLogs: () => Promise.resolve() },
    );
    await receiver.start();
    const times: number[] = [];
    for (const hello of [false, true]) {
      const socket = net.connect(hostPort(receiver.endpoints.http));
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      // a TLS record header announcing a ClientHello that never arrives
      if (hello) socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      const t0 = performance.now();
      times.push(
        await Promise.race([
          new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0))),
          new Promise<number>((r) => setTimeout(() => r(Infinity), 6_000)),
        ]),
      );
      socket.destroy();
    }
    await receiver.shutdown(500);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(times.every((t) => t < 3_000)).toBe(true);
  });
});

describe("the 503 for an exception in the handler is in the request's encoding (it was always JSON)", () => {
  it('a protobuf request gets a protobuf google.rpc.Status (docs/receiver.md §2 "in the request\'s encoding")', async () => {
    const { loopbackReceiverWithAuth } = await import('./testing/loopbackReceiver.ts');
    const throwing = {
      start: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
      authenticate: () => {
        throw new Error('authenticator bug');
      },
    };
    const receiver = loopbackReceiverWithAuth(throwing as never, { consumeLogs: () => Promise.resolve() });
    await receiver.start();
    const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: proto('x'),
    });
    await res.arrayBuffer();
    await receiver.shutdown(1_000);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
  });
});

describe('audit.client.address on a dual-stack listener', () => {
  it('records the IPv4 peer as 127.0.0.1 (docs/receiver.md §3), not its IPv4-mapped IPv6 form', async () => {
    const seen: LogBatch[] = [];
    const receiver = httpReceiver(
      { endpoint: '[::]:0' },
      { consumeLogs: (b) => Promise.resolve(void seen.push(b)) },
    );
    await receiver.start();
    const port = hostPort(receiver.endpoints.http).port;
    await fetch(`http://127.0.0.1:${port}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: proto('v4'),
    });
    await receiver.shutdown(1_000);
    const addr = seen[0]?.records[0]?.attributes.find((a) => a.key === 'audit.client.address')?.value;
    expect(addr).toBe('127.0.0.1');
  });
});

describe('HTTPS shutdown with a connection still in its TLS handshake (it waited past its deadline)', () => {
  for (const secure of [true, false])
    it(`shutdown(500) of an ${secure ? 'HTTPS' : 'HTTP (control)'} receiver resolves in about 500 ms although a peer holds a silent TCP connection`, async () => {
      const fs = await import('node:fs');
      const os = await import('node:os');
      const path = await import('node:path');
      const { makeCerts } = await import('../../test/helpers/certs.ts');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-tls-'));
      const certs = makeCerts(dir);
      const receiver = httpReceiver(
        {
          endpoint: '127.0.0.1:0',
          ...(secure ? { tls: { cert_file: certs.serverCert, key_file: certs.serverKey } } : {}),
        },
        { consumeLogs: () => Promise.resolve() },
      );
      await receiver.start();
      const socket = net.connect(hostPort(receiver.endpoints.http));
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.on('error', () => undefined);
      const t0 = performance.now();
      const took = await Promise.race([
        receiver.shutdown(500).then(
          () => performance.now() - t0,
          () => -1,
        ),
        new Promise<number>((r) => setTimeout(() => r(Infinity), 8_000)),
      ]);
      socket.destroy(); // lets the shutdown end
      fs.rmSync(dir, { recursive: true, force: true });
      // server.closeAllConnections() only knows HTTP connections (added at 'secureConnection'); the socket still
      // in its handshake keeps server.close()'s callback — and so close() — waiting (Node: up to 120 s).
      // Fails: the shutdown rejects with SHUTDOWN_TIMEOUT (took = -1). The same test over plain HTTP passes.
      expect(took).toBeGreaterThanOrEqual(0);
      expect(took).toBeLessThan(3_000);
    });
});

describe('Content-Length lies', () => {
  const seen: LogBatch[] = [];
  const receiver = httpReceiver(
    { endpoint: '127.0.0.1:0', max_concurrent_requests: 1 },
    { consumeLogs: (b) => Promise.resolve(void seen.push(b)) },
  );
  beforeAll(() => receiver.start());
  afterAll(() => receiver.shutdown(1_000));
  const raw = async (data: Buffer, halfClose: boolean): Promise<string> => {
    const socket = net.connect(hostPort(receiver.endpoints.http));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined);
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.write(data);
    if (halfClose) socket.end();
    await new Promise((r) => setTimeout(r, 400));
    socket.destroy();
    return [...reply.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]).join(',');
  };
  it('longer than the body, then FIN; shorter than the body; both CL and TE', async () => {
    const p = proto('cl');
    const head = (cl: number, extra = '') =>
      Buffer.from(
        `POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${cl}\r\n${extra}\r\n`,
      );
    // Each is refused (400), none stores anything, and the concurrency slot (max 1) is free afterwards.
    expect(await raw(Buffer.concat([head(p.length + 50), p]), true), 'CL > body + FIN').toMatch(/^400/);
    expect(await raw(Buffer.concat([head(p.length - 3), p]), false), 'CL < body').toMatch(/^400/);
    expect(
      await raw(Buffer.concat([head(p.length, 'Transfer-Encoding: chunked\r\n'), p]), false),
      'CL + TE chunked',
    ).toMatch(/^400/);
    expect(
      await raw(Buffer.concat([head(p.length, `Content-Length: ${p.length + 1}\r\n`), p]), false),
      'two CL',
    ).toMatch(/^400/);
    const ok = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: proto('after'),
    });
    expect(ok.status).toBe(200);
    expect(seen.flatMap((b) => b.records.map((r) => r.body))).toEqual(['after']);
  });
});
