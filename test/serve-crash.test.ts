/**
 * The end-to-end promise, with real processes: concurrent official
 * OpenTelemetry exporters load `otel-audit serve`, the server is killed with
 * SIGKILL mid-load (or stopped with SIGTERM), restarted, and every record
 * whose request got a 200 / OK is in the WAL, in the order each client's
 * requests were acknowledged. Delivery is at-least-once: a record may appear
 * twice (written, answer lost in the crash, sent again), never zero times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { walRecords } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-serve-crash-');
afterAll(() => tmp.cleanup());
const CLI = path.resolve('src/cli/main.ts');

interface Server {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly grpcUrl: string;
  readonly exited: Promise<number | null>;
}

async function startServer(configFile: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('otel-audit: ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  const http = /OTLP\/HTTP +(http:\/\/\S+)/.exec(out)?.[1] ?? '';
  const grpc = /OTLP\/gRPC +(\S+)/.exec(out)?.[1] ?? '';
  return { child, httpUrl: http, grpcUrl: `http://${grpc}`, exited };
}

/** Wraps an official exporter and remembers the bodies of every batch the server acknowledged. */
class RecordingExporter implements LogRecordExporter {
  readonly acked: string[] = [];
  private readonly inner: LogRecordExporter;

  constructor(inner: LogRecordExporter) {
    this.inner = inner;
  }

  export(records: ReadableLogRecord[], done: (r: { code: ExportResultCode; error?: Error }) => void): void {
    this.inner.export(records, (result) => {
      if (result.code === ExportResultCode.SUCCESS) for (const r of records) this.acked.push(String(r.body));
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

interface Client {
  readonly name: string;
  readonly exporter: RecordingExporter;
  stop(): Promise<void>;
}

function startClient(name: string, inner: LogRecordExporter): Client {
  const exporter = new RecordingExporter(inner);
  const provider = new LoggerProvider({
    processors: [
      new BatchLogRecordProcessor({
        exporter,
        maxExportBatchSize: 64,
        scheduledDelayMillis: 5,
        maxQueueSize: 100_000,
      }),
    ],
  });
  const logger = provider.getLogger(name);
  let i = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (let k = 0; k < 50; k++) logger.emit({ body: `${name}-${i++}`, attributes: { client: name } });
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    name,
    exporter,
    stop: async () => {
      running = false;
      await loop;
      await Promise.race([
        provider.shutdown().catch(() => undefined),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    },
  };
}

function checkAcked(walDir: string, clients: readonly Client[]): { acked: number; stored: number } {
  const bodies = walRecords(walDir).map((r) => String(r.body));
  const firstPos = new Map<string, number>();
  bodies.forEach((b, i) => {
    if (!firstPos.has(b)) firstPos.set(b, i);
  });
  let acked = 0;
  for (const c of clients) {
    let last = -1;
    for (const b of c.exporter.acked) {
      const pos = firstPos.get(b);
      expect(pos, `${b} was acknowledged but is not in the WAL`).toBeDefined();
      expect(pos as number, `${c.name}: ${b} out of acknowledgement order`).toBeGreaterThan(last);
      last = pos as number;
      acked++;
    }
  }
  return { acked, stored: bodies.length };
}

describe('otel-audit serve under load from the official exporters', () => {
  it('SIGKILL mid-load: after a restart every acknowledged record is in the WAL, in order', async () => {
    const walDir = path.join(tmp.dir, 'wal-kill');
    const configFile = path.join(tmp.dir, 'kill.yaml');
    writeFileSync(
      configFile,
      `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal: { directory: ${walDir}, segment_bytes_max: 1048576, payload_bytes_max: 262144, when_queue_full: reject }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`,
    );
    let total = 0;
    for (let round = 0; round < 3; round++) {
      const server = await startServer(configFile);
      const clients = [
        startClient(`r${round}-proto`, new HttpProtoExporter({ url: `${server.httpUrl}` })),
        startClient(`r${round}-json`, new HttpJsonExporter({ url: `${server.httpUrl}` })),
        startClient(`r${round}-grpc`, new GrpcExporter({ url: server.grpcUrl })),
      ];
      await new Promise((r) => setTimeout(r, 400 + round * 300));
      server.child.kill('SIGKILL');
      expect(await server.exited).toBeNull();
      await Promise.all(clients.map((c) => c.stop()));
      const restarted = await startServer(configFile);
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
      const { acked } = checkAcked(walDir, clients);
      expect(acked, `round ${round}: the clients got acknowledgements`).toBeGreaterThan(0);
      total += acked;
    }
    expect(total).toBeGreaterThan(100);
  }, 120_000);

  it('SIGTERM mid-load: exit 0, every acknowledged record durable', async () => {
    const walDir = path.join(tmp.dir, 'wal-term');
    const configFile = path.join(tmp.dir, 'term.yaml');
    writeFileSync(
      configFile,
      `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal: { directory: ${walDir} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`,
    );
    const server = await startServer(configFile);
    const clients = [
      startClient('t-proto', new HttpProtoExporter({ url: server.httpUrl })),
      startClient('t-grpc', new GrpcExporter({ url: server.grpcUrl })),
    ];
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await Promise.all(clients.map((c) => c.stop()));
    const { acked } = checkAcked(walDir, clients);
    expect(acked).toBeGreaterThan(0);
  }, 60_000);
});
