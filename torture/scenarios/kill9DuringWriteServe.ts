/**
 * Kill9DuringWriteServe, a real-process scenario: `otel-audit serve` with a
 * pipeline `otlp` → `audit_chain` → `audit_sign` → `audit_wal`, loaded by the
 * official OpenTelemetry exporters (OTLP/HTTP protobuf and OTLP/gRPC, and in
 * half the iterations OTLP/HTTP JSON too), each behind an SDK
 * `BatchLogRecordProcessor` and wrapped to record which batches got a
 * 200 / OK. The server is killed with SIGKILL mid-load, restarted on the same
 * WAL (it must recover and start), loaded and killed again, and restarted a
 * last time and stopped with SIGTERM (exit 0 expected).
 *
 * Oracle: the shared one (torture/oracle.ts: the WAL reopens, no corruption,
 * no gap, every record whole, verifyWal with the public key and the
 * published checkpoints finds no issue) plus what only this scenario knows:
 * - after each kill, a read-only open of the WAL with full CRC verification
 *   reports no corruption; every restart reaches `ready`;
 * - every record of every acknowledged batch is in the WAL, whole and
 *   byte-exact (bodies are `payloadText(id)`, test/fixtures/walCrashPayload.ts);
 * - per client, in acknowledgement order: the records of one batch are in
 *   the WAL in their order, and a batch sent after another was acknowledged
 *   comes after it (batches in flight together may be acknowledged in either
 *   order, so only this causal order is claimed); delivery is at least once,
 *   so a record may be there twice (written, answer lost in the crash, sent
 *   again) and its first occurrence counts;
 * - every record in the WAL is one a client sent (unacknowledged ones: whole
 *   or absent);
 * - `verifyWal` counts the same records.
 * The kill moments and the load are seeded; what the clients get done before
 * a kill is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
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
import { FrameType } from '../../src/wal/format.ts';
import { openWalReadOnly } from '../../src/wal/readOnly.ts';
import { idOfPayload, parseId, payloadText, prng } from '../../test/fixtures/walCrashPayload.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import {
  childEnv,
  IdLedger,
  idOfWholeRecord,
  readView,
  sharedOracle,
  signingKey,
  sleep,
  verifyChain,
  Violations,
  type WalView,
} from './kill9DuringWriteLibrary.ts';

const CLI = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
/** Kills per iteration; a last restart is stopped with SIGTERM. */
export const SERVE_KILLS_PER_ITERATION = 2;
const STREAM_ID = 'torture-serve';
const START_TIMEOUT_MS = 30_000;
/** The exporters give up on a batch after this (a dead server is retried until then). */
const EXPORT_TIMEOUT_MS = 1500;
/** Longest wait for the clients' last exports to settle after the final stop. */
const SETTLE_MS = 8000;

const pick = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

interface Server {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly grpcUrl: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

async function startServer(configFile: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(),
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8000);
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
    const check = (): void => {
      if (out.includes('otel-audit: ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(out.includes('otel-audit: ready'));
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    const e = await exited;
    throw new Error(
      `the server did not start (exit ${e.code}, signal ${e.signal}): ${out.slice(-1000)} ${err.slice(-2000)}`,
    );
  }
  const http = /OTLP\/HTTP +(http:\/\/\S+)/.exec(out)?.[1] ?? '';
  const grpc = /OTLP\/gRPC +(\S+)/.exec(out)?.[1] ?? '';
  return { child, httpUrl: http, grpcUrl: `http://${grpc}`, exited, stderr: () => err };
}

interface AckedBatch {
  readonly ids: readonly string[];
  /** Batches of this client acknowledged when this one was sent: those must come before it. */
  readonly ackedBeforeSend: number;
}

/**
 * Wraps an official exporter; records every batch the server acknowledged, in acknowledgement
 * order. Once its server is dead, `refuseNew()` makes later exports fail at once: the SDK would
 * otherwise drain its whole queue into the dead port, one retried batch at a time.
 */
class RecordingExporter implements LogRecordExporter {
  readonly acked: AckedBatch[] = [];
  inFlight = 0;
  failedBatches = 0;
  private refusing = false;
  private readonly inner: LogRecordExporter;

  constructor(inner: LogRecordExporter) {
    this.inner = inner;
  }

  refuseNew(): void {
    this.refusing = true;
  }

  export(records: ReadableLogRecord[], done: (r: { code: ExportResultCode; error?: Error }) => void): void {
    if (this.refusing) {
      this.failedBatches++;
      done({ code: ExportResultCode.FAILED, error: new Error('the server is dead') });
      return;
    }
    const ids = records.map((r) => idOfPayload(Buffer.from(String(r.body), 'latin1'))?.id ?? '?');
    const ackedBeforeSend = this.acked.length;
    this.inFlight++;
    this.inner.export(records, (result) => {
      this.inFlight--;
      if (result.code === ExportResultCode.SUCCESS) this.acked.push({ ids, ackedBeforeSend });
      else this.failedBatches++;
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
  /** `<round>:<client>` of the ids it sends. */
  readonly idPrefix: string;
  readonly exporter: RecordingExporter;
  /** Ids emitted. */
  sent(): number;
  /** Stops emitting; exports not yet started fail (the server is dead). */
  stopEmitting(): Promise<void>;
  /** Shuts the SDK down and waits for every export to settle (bounded). */
  settle(): Promise<void>;
}

function startClient(
  name: string,
  idPrefix: string,
  inner: LogRecordExporter,
  rnd: () => number,
  signal: AbortSignal,
): Client {
  const exporter = new RecordingExporter(inner);
  const provider = new LoggerProvider({
    processors: [
      new BatchLogRecordProcessor({
        exporter,
        maxExportBatchSize: pick(rnd, 8, 96),
        scheduledDelayMillis: pick(rnd, 1, 10),
        maxQueueSize: 100_000,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS + 500,
      }),
    ],
  });
  const logger = provider.getLogger(name);
  const perTick = pick(rnd, 5, 40);
  let counter = 0;
  let running = true;
  const loop = (async () => {
    while (running && !signal.aborted) {
      for (let k = 0; k < perTick; k++) {
        const id = `${idPrefix}:${counter++}`;
        logger.emit({ body: payloadText(id), attributes: { client: name } });
      }
      await sleep(2);
    }
  })();
  return {
    name,
    idPrefix,
    exporter,
    sent: () => counter,
    stopEmitting: async () => {
      running = false;
      exporter.refuseNew();
      await loop;
    },
    settle: async () => {
      running = false;
      exporter.refuseNew();
      await loop;
      const until = Date.now() + SETTLE_MS;
      const giveUp = new AbortController();
      await Promise.race([
        provider.shutdown().catch(() => undefined),
        sleep(SETTLE_MS, giveUp.signal), // aborted below: no timer left to keep the process alive
      ]);
      giveUp.abort();
      while (exporter.inFlight > 0 && Date.now() < until) await sleep(20);
    },
  };
}

function configYaml(o: {
  walDir: string;
  keyFile: string;
  publishDir: string;
  checkpointEvery: number;
  perRecord: boolean;
  segmentBytes: number;
  whenQueueFull: 'block' | 'reject';
}): string {
  return `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
processors:
  audit_chain: { stream_id: ${STREAM_ID}, checkpoint_every_records: ${o.checkpointEvery} }
  audit_sign:
    key_source: { type: file, file: { private_key: ${JSON.stringify(o.keyFile)} } }
    per_record: ${o.perRecord}
    publish_dir: ${JSON.stringify(o.publishDir)}
exporters:
  audit_wal:
    directory: ${JSON.stringify(o.walDir)}
    segment_bytes_max: ${o.segmentBytes}
    payload_bytes_max: 65536
    when_queue_full: ${o.whenQueueFull}
service:
  pipelines:
    logs: { receivers: [otlp], processors: [audit_chain, audit_sign], exporters: [audit_wal] }
`;
}

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rnd = prng(ctx.seed);
  const v = new Violations();
  const walDir = path.join(ctx.workDir, 'wal');
  const publishDir = path.join(ctx.workDir, 'published');
  const keyFile = path.join(ctx.workDir, 'signing.pem');
  const configFile = path.join(ctx.workDir, 'otel-audit.yaml');
  fs.writeFileSync(keyFile, signingKey().pair.privateKeyPem, { mode: 0o600 });
  const withJson = rnd() < 0.5;
  fs.writeFileSync(
    configFile,
    configYaml({
      walDir,
      keyFile,
      publishDir,
      checkpointEvery: pick(rnd, 1, 200),
      perRecord: rnd() < 0.3,
      segmentBytes: [256 * 1024, 1024 * 1024, 8 * 1024 * 1024][pick(rnd, 0, 2)] as number,
      whenQueueFull: rnd() < 0.5 ? 'block' : 'reject',
    }),
  );
  const clients: Client[] = [];
  const servers: Server[] = [];
  const metrics = { kills: 0, restarts: 0, startMs: 0, loadMs: 0, clients: 0, records: 0, duplicates: 0 };
  try {
    for (let round = 0; round < SERVE_KILLS_PER_ITERATION && !ctx.signal.aborted; round++) {
      const t0 = Date.now();
      let server: Server;
      try {
        server = await startServer(configFile);
      } catch (err) {
        v.add(`round ${round}: ${round === 0 ? 'start' : 'restart after the kill'} failed: ${String(err)}`);
        break;
      }
      servers.push(server);
      metrics.startMs += Date.now() - t0;
      if (round > 0) metrics.restarts++;
      const mk = (k: number, label: string, exp: LogRecordExporter): Client =>
        startClient(`r${round}-${label}`, `${round}:a${k}`, exp, rnd, ctx.signal);
      const exporterOpts = { timeoutMillis: EXPORT_TIMEOUT_MS };
      const roundClients = [
        mk(0, 'proto', new HttpProtoExporter({ url: server.httpUrl, ...exporterOpts })),
        mk(1, 'grpc', new GrpcExporter({ url: server.grpcUrl, ...exporterOpts })),
        ...(withJson ? [mk(2, 'json', new HttpJsonExporter({ url: server.httpUrl, ...exporterOpts }))] : []),
      ];
      clients.push(...roundClients);
      const loadMs = pick(rnd, 250, 1200);
      await sleep(loadMs, ctx.signal);
      metrics.loadMs += loadMs;
      server.child.kill('SIGKILL');
      const e = await server.exited;
      metrics.kills++;
      if (e.signal !== 'SIGKILL')
        v.add(
          `round ${round}: the server ended on its own before the kill (exit ${e.code}): ${server.stderr()}`,
        );
      // Their queued batches go to the dead server and fail; they settle at the end, in parallel.
      await Promise.all(roundClients.map((c) => c.stopEmitting()));
      try {
        const ro = openWalReadOnly({ dir: walDir, verify: 'full' });
        if (ro.report.corruptions.length > 0)
          v.add(
            `round ${round}: after the kill, recovery reports corruption: ${JSON.stringify(ro.report.corruptions).slice(0, 600)}`,
          );
      } catch (err) {
        v.add(`round ${round}: after the kill, the WAL did not reopen (read-only): ${String(err)}`);
      }
    }
    // The last restart: recovery, then a clean stop.
    if (v.count === 0) {
      try {
        const server = await startServer(configFile);
        servers.push(server);
        metrics.restarts++;
        // `serve` prints its ready line just before it installs its signal handlers: a SIGTERM at once
        // may find the default action (killed by SIGTERM instead of exit 0).
        await sleep(200);
        server.child.kill('SIGTERM');
        const e = await server.exited;
        if (e.code !== 0)
          v.add(`the last restart stopped with exit ${e.code} / ${e.signal}: ${server.stderr()}`);
      } catch (err) {
        v.add(`the last restart failed: ${String(err)}`);
      }
    }
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await Promise.all(clients.map((c) => c.settle()));
  }
  metrics.clients = clients.length;
  for (const c of clients) {
    if (c.exporter.inFlight > 0)
      v.add(
        `client ${c.name}: ${c.exporter.inFlight} exports still unsettled ${SETTLE_MS} ms after the last stop`,
      );
  }
  const acknowledged = clients.reduce(
    (n, c) => n + c.exporter.acked.reduce((m, b) => m + b.ids.length, 0),
    0,
  );
  if (fs.existsSync(walDir)) checkWal(walDir, publishDir, clients, v, metrics);
  else if (acknowledged > 0) v.add(`${acknowledged} records acknowledged, but there is no WAL directory`);
  return { ok: v.count === 0, acknowledged, faults: metrics.kills, violations: v.result(), metrics };
}

function checkWal(
  walDir: string,
  publishDir: string,
  clients: readonly Client[],
  v: Violations,
  metrics: { records: number; duplicates: number },
): void {
  let view: WalView;
  try {
    const ro = openWalReadOnly({ dir: walDir, verify: 'full' });
    view = readView((o) => ro.reader.records(o), ro.report);
  } catch (err) {
    v.add(`final check: the WAL did not reopen: ${String(err)}`);
    return;
  }
  // The shared oracle: no corruption, no gap, every record whole; at least once, so repeats are allowed.
  const verify = verifyChain(walDir, publishDir);
  sharedOracle('final check', view, new IdLedger(idOfWholeRecord, new Map(), true), v, verify);
  const sentBy = new Map(clients.map((c) => [c.idPrefix, c.sent()]));
  const firstPos = new Map<string, number>();
  let pos = 0;
  for (const r of view.records) {
    if (r.type !== FrameType.RECORD) continue;
    pos++;
    const id = idOfWholeRecord(r.payload);
    if (id === undefined) continue; // the shared oracle names it
    const parsed = parseId(id) as NonNullable<ReturnType<typeof parseId>>;
    const sent = sentBy.get(`${parsed.round}:${parsed.client}`);
    if (sent === undefined || parsed.counter >= sent)
      v.add(`WAL seq ${r.seq} holds ${id}, which no client sent`);
    if (firstPos.has(id)) metrics.duplicates++;
    else firstPos.set(id, pos);
  }
  metrics.records = pos;
  if (verify.records !== pos) v.add(`verifyWal counts ${verify.records} records, the WAL holds ${pos}`);
  for (const c of clients) {
    // maxBefore[j]: the highest first position among the records of batches 0..j-1.
    const maxBefore: number[] = [0];
    c.exporter.acked.forEach((b, j) => {
      let prevInBatch = 0;
      let batchMax = 0;
      let batchMin = Number.POSITIVE_INFINITY;
      for (const id of b.ids) {
        const p = firstPos.get(id);
        if (p === undefined) {
          v.add(`client ${c.name}: ${id} was ACKNOWLEDGED (batch ${j}) but is not in the WAL`);
          continue;
        }
        if (p < prevInBatch) v.add(`client ${c.name}: batch ${j} is not in order in the WAL (${id})`);
        prevInBatch = p;
        batchMax = Math.max(batchMax, p);
        batchMin = Math.min(batchMin, p);
      }
      const mustFollow = maxBefore[b.ackedBeforeSend] ?? 0;
      if (batchMin < mustFollow)
        v.add(
          `client ${c.name}: batch ${j} (from ${b.ids[0]}) was sent after batches 0..${b.ackedBeforeSend - 1} ` +
            `were acknowledged, but precedes one of them in the WAL`,
        );
      maxBefore.push(Math.max(maxBefore[j] ?? 0, batchMax));
    });
  }
}

export const kill9DuringWriteServe: Scenario = {
  name: 'Kill9DuringWriteServe',
  kind: 'real',
  description:
    'SIGKILL of `otel-audit serve` (audit_chain + audit_sign) under load from the official OTLP exporters ' +
    '(HTTP proto, gRPC, HTTP JSON), twice, then a restart; every acknowledged record present in acknowledgement order, chain verifies',
  run,
};
