/**
 * The examples and golden configurations run: every YAML meant for
 * otel-audit (examples/, and the testdata of the otlp receiver, the audit_wal
 * exporter and the bearertokenauth extension) loads with the built-in
 * components and builds a service; the production-like example serves OTLP
 * over TLS with bearer tokens and stores what it acknowledges; the
 * Collector-side example is consistent with it; and the in-process quick
 * start runs as a child process and leaves its records in the WAL.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../config/resolve.ts';
import { encodeOtlpLogsProtobuf } from '../src/otlp/protobufCodec.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { Service } from '../src/pipeline/Service.ts';
import { createAuditRecord, type AuditRecord } from '../src/record/AuditRecord.ts';
import { decodeRecord } from '../src/record/walCodec.ts';
import { openWalReadOnly } from '../src/wal/readOnly.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { makeCerts } from './helpers/certs.ts';
import { quietLogger, startService } from './helpers/startService.ts';
import { exportRaw } from './helpers/rawOtlpGrpc.ts';

const tmp = makeTempDir('otel-audit-examples-');
afterAll(() => tmp.cleanup());

/** Files named otelcol-*.yaml are configurations for an OpenTelemetry Collector, not for otel-audit. */
const isCollectorConfig = (file: string): boolean => path.basename(file).startsWith('otelcol-');

function yamlFiles(dir: string, recursive: boolean): string[] {
  return readdirSync(dir, { recursive })
    .map(String)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => path.join(dir, f))
    .sort();
}

const EXAMPLES = yamlFiles('examples', true);
const FOR_OTEL_AUDIT = [
  ...EXAMPLES.filter((f) => !isCollectorConfig(f)),
  ...yamlFiles('receivers/otlp/testdata', false),
  ...yamlFiles('exporters/audit_wal/testdata', false),
  ...yamlFiles('extensions/bearertokenauth/testdata', false),
];

/** Values for every `${env:...}` the files use without a default. */
const ENV = {
  OTEL_AUDIT_TLS_CERT: '/etc/otel-audit/server.crt',
  OTEL_AUDIT_TLS_KEY: '/etc/otel-audit/server.key',
  OTEL_AUDIT_TOKEN_FILE: '/etc/otel-audit/tokens',
  OTEL_AUDIT_TOKEN: 'example-token-0123456789',
  OTEL_AUDIT_DATA_DIR: '/var/lib/otel-audit/wal',
};

function walRecords(dir: string): AuditRecord[] {
  const wal = openWalReadOnly({ dir });
  expect(wal.report.corruptions).toEqual([]);
  return [...wal.reader.records()].map((r) => decodeRecord(r.payload));
}

const attr = (r: AuditRecord | undefined, key: string): unknown =>
  r?.attributes.find((kv) => kv.key === key)?.value;

describe('configurations for otel-audit', () => {
  it('finds the examples and the golden configurations', () => {
    expect(FOR_OTEL_AUDIT).toContain(path.join('examples', 'collector', 'otel-audit.yaml'));
    expect(FOR_OTEL_AUDIT).toContain(path.join('examples', 'node', 'audit.yaml'));
    expect(FOR_OTEL_AUDIT.filter((f) => f.includes('testdata')).length).toBeGreaterThanOrEqual(10);
  });

  for (const file of FOR_OTEL_AUDIT) {
    it(`${file} is valid, without warnings, and builds a service`, () => {
      const registry = createFactoryRegistry();
      const config = resolveConfig([{ kind: 'file', path: file }], { catalog: registry.catalog, env: ENV });
      expect(config.warnings).toEqual([]);
      // What `validate` does not check but `serve` needs: authenticators that are enabled extensions.
      for (const [id, receiver] of config.receivers) {
        const protocols = (receiver.config as { protocols?: Record<string, unknown> }).protocols ?? {};
        for (const [name, p] of Object.entries(protocols)) {
          const authenticator = (p as { auth?: { authenticator: string } } | null)?.auth?.authenticator;
          if (authenticator === undefined) continue;
          expect(config.service.extensions, `${id}::protocols::${name}::auth`).toContain(authenticator);
          expect(config.extensions.get(authenticator)?.type).toBe('bearertokenauth');
        }
      }
      Service.build({ config, registry, baseDir: tmp.dir, logger: quietLogger });
    });
  }
});

describe('examples/collector/otelcol-forward.yaml (for an OpenTelemetry Collector)', () => {
  const forward = parse(readFileSync('examples/collector/otelcol-forward.yaml', 'utf8')) as {
    extensions: Record<string, Record<string, unknown>>;
    exporters: Record<string, Record<string, unknown>>;
    service: { extensions: string[]; pipelines: Record<string, { exporters: string[] }> };
  };
  const serverSide = parse(readFileSync('examples/collector/otel-audit.yaml', 'utf8')) as {
    receivers: { otlp: { protocols: Record<string, { endpoint: string }> } };
  };

  it('forwards with TLS, a bearer token, gzip, a persistent queue and unlimited retries', () => {
    const used = Object.values(forward.service.pipelines).flatMap((p) => p.exporters);
    expect(used.length).toBeGreaterThan(0);
    expect(Object.keys(forward.exporters)).toEqual(expect.arrayContaining(used));
    for (const [id, e] of Object.entries(forward.exporters)) {
      const auth = (e.auth as { authenticator: string }).authenticator;
      const storage = (e.sending_queue as { enabled: boolean; storage: string }).storage;
      for (const ext of [auth, storage]) {
        expect(forward.extensions, `${id} uses ${ext}`).toHaveProperty([ext]);
        expect(forward.service.extensions).toContain(ext);
      }
      expect(forward.extensions[auth]?.token).toBe('${env:OTEL_AUDIT_TOKEN}');
      expect(e.compression).toBe('gzip');
      expect((e.tls as { ca_file?: string; insecure?: boolean }).ca_file).toBeTruthy();
      expect((e.tls as { insecure?: boolean }).insecure).toBeUndefined();
      expect(e.retry_on_failure).toMatchObject({ enabled: true, max_elapsed_time: 0 });
      expect(e.sending_queue).toMatchObject({ enabled: true });
    }
    // It targets the ports otel-audit.yaml listens on by default.
    const port = (endpoint: string | undefined): string => /(\d+)\}?$/.exec(endpoint ?? '')?.[1] ?? '?';
    const { grpc: g, http: h } = serverSide.receivers.otlp.protocols;
    expect(port(g?.endpoint)).toBe('4317');
    expect(port(h?.endpoint)).toBe('4318');
    expect(forward.exporters['otlp/otel_audit']?.endpoint).toBe(
      `\${env:OTEL_AUDIT_HOST}:${port(g?.endpoint)}`,
    );
    expect(forward.exporters['otlphttp/otel_audit']?.endpoint).toBe(
      `https://\${env:OTEL_AUDIT_HOST}:${port(h?.endpoint)}`,
    );
  });
});

describe('examples/collector/otel-audit.yaml serves', () => {
  it('OTLP/HTTP and OTLP/gRPC over TLS with bearer tokens; stores what it acknowledges', async () => {
    const certs = makeCerts(tmp.dir);
    const token = 'tok-' + 'e'.repeat(28);
    const tokenFile = path.join(tmp.dir, 'tokens');
    writeFileSync(tokenFile, `old-token-0123456789\n\n  ${token}  \n`);
    const wal = path.join(tmp.dir, 'wal-collector-example');
    const svc = await startService(readFileSync('examples/collector/otel-audit.yaml', 'utf8'), {
      OTEL_AUDIT_TLS_CERT: certs.serverCert,
      OTEL_AUDIT_TLS_KEY: certs.serverKey,
      OTEL_AUDIT_TOKEN_FILE: tokenFile,
      OTEL_AUDIT_DATA_DIR: wal,
      OTEL_AUDIT_GRPC_ENDPOINT: '127.0.0.1:0',
      OTEL_AUDIT_HTTP_ENDPOINT: '127.0.0.1:0',
      DEPLOYMENT_ENVIRONMENT: 'examples-test',
    });
    try {
      const ca = readFileSync(certs.caCert);
      const post = (authorization: string, body: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = https.request(
            svc.logsUrl.replace('http://', 'https://'),
            {
              method: 'POST',
              ca,
              headers: { 'Content-Type': 'application/json', Authorization: authorization },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const json = JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    body: { stringValue: 'over https' },
                    attributes: [
                      { key: 'db.password', value: { stringValue: 'hunter2' } },
                      { key: 'audit.client.identity', value: { stringValue: 'bearer:forged' } },
                    ],
                  },
                  { eventName: 'heartbeat', body: { stringValue: 'dropped by filter/noise' } },
                ],
              },
            ],
          },
        ],
      });
      expect(await post(`Bearer ${token}`, json)).toBe(200);
      expect(await post('Bearer wrong-token', json)).toBe(401);

      const err = await exportRaw(
        svc.grpcUrl,
        encodeOtlpLogsProtobuf([createAuditRecord({ body: 'over grpc' })]),
        {
          credentials: grpc.credentials.createSsl(ca),
          channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
          bearerToken: token,
        },
      );
      expect(err).toBeNull();
    } finally {
      await svc.stop();
    }

    const records = walRecords(wal);
    expect(records.map((r) => r.body)).toEqual(['over https', 'over grpc']);
    const identity = `bearer:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
    const [overHttps, overGrpc] = records;
    expect(attr(overHttps, 'audit.client.identity')).toBe(identity);
    expect(overHttps?.attributes.filter((kv) => kv.key === 'audit.client.identity')).toHaveLength(1);
    expect(attr(overHttps, 'audit.client.protocol')).toBe('otlp/http+json');
    expect(attr(overHttps, 'db.password')).toBeUndefined();
    expect(attr(overHttps, 'deployment.environment')).toBe('examples-test');
    expect(attr(overGrpc, 'audit.client.identity')).toBe(identity);
    expect(attr(overGrpc, 'audit.client.protocol')).toBe('otlp/grpc');
  });
});

describe('examples/node/quickstart.ts', () => {
  it('runs in a child process and leaves its records durable in the WAL', async () => {
    const dir = path.join(tmp.dir, 'wal-quickstart');
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/node/quickstart.ts'], {
      env: { ...process.env, OTEL_AUDIT_DATA_DIR: dir },
      timeout: 60_000,
    });
    expect(stdout).toContain('emitted 3 audit events');
    expect(stdout).toContain(`durable up to sequence number 3 in ${dir}`);

    const wal = openWalReadOnly({ dir });
    expect(wal.report.tornTails).toEqual([]);
    const records = walRecords(dir);
    expect(records.map((r) => r.eventName)).toEqual(['user.login', 'payment.transfer', 'user.role_changed']);
    for (const r of records) {
      expect(r.resource.attributes).toContainEqual({ key: 'service.name', value: 'billing' });
      expect(r.scope).toMatchObject({ name: 'billing.audit', version: '1.0.0' });
      expect(r.severityNumber).toBe(9);
    }
    expect(attr(records[0], 'user.email')).toBe(createHash('sha256').update('ada@example.com').digest('hex'));
    expect(records[1]?.body).toEqual({
      values: [
        { key: 'amount', value: 125.5 },
        { key: 'currency', value: 'EUR' },
        { key: 'to', value: 'acct-77' },
      ],
    });
  });
});
