/**
 * Receiver benchmark: records/s through the `otlp` receiver over OTLP/HTTP
 * (protobuf) and OTLP/gRPC with durable acknowledgements (a real Service:
 * `otlp` receiver → `audit_wal` exporter, default fdatasync group commit, in
 * a temp dir), compared in the same run with a "null receiver": the same
 * `OtlpReceiver` code (HTTP/gRPC handling, bounded decode, client stamp) in
 * front of a consumer that discards, so decoding is included and durability
 * is not. Also the p50/p99 request latency.
 *
 *   npm run bench:receiver      # prints ONE JSON line on stdout (progress on stderr)
 *
 * Method. Requests of 512 audit-like records (see lib/otlpRequests.ts) are
 * encoded once. A load generator in a CHILD PROCESS (lib/otlpLoadClient.ts,
 * child_process.fork) runs `concurrency` closed-loop clients, each on its own
 * connection (HTTP/1.1 keep-alive socket / own gRPC channel), for a 1 s
 * warm-up and a 4 s measured window; a scenario's rate is the records of
 * requests answered 200 / OK that completed inside the window, divided by the
 * window. Server CPU, event-loop utilization and WAL commits are sampled in
 * this process over the same window (the child signals its start and end over
 * IPC). Scenarios, each with a fresh server: http_null, http_durable,
 * grpc_null, grpc_durable.
 *
 * Knobs (environment, optional; any of them adds `"variant"` to the output):
 *   RECEIVER_BENCH_CONCURRENCY (8), RECEIVER_BENCH_RECORDS_PER_REQUEST (512),
 *   RECEIVER_BENCH_WARMUP_MS (1000), RECEIVER_BENCH_DURATION_MS (4000),
 *   RECEIVER_BENCH_ROUNDS (1; each figure is then the median round),
 *   RECEIVER_BENCH_SCENARIOS (http_null,http_durable,grpc_null,grpc_durable),
 *   RECEIVER_BENCH_CLIENT (fork | inprocess),
 *   RECEIVER_BENCH_WAL_CONFIG (JSON object of extra `audit_wal` keys, e.g. '{"sync_policy":"none"}'),
 *   RECEIVER_BENCH_CPU_PROFILE (a directory: writes a V8 CPU profile of this process over each
 *   scenario's measured window only, `<scenario>-<time>.cpuprofile`; sampling costs a few % of CPU).
 *
 * Profiling the server: RECEIVER_BENCH_CPU_PROFILE=/tmp/prof (window only), or
 * `npx node --cpu-prof --cpu-prof-dir=/tmp/prof bench/receiver.bench.ts` (whole run, start-up
 * included); either way only this process is profiled (the load generator is forked without
 * execArgv). Then `node bench/lib/cpuProfileTop.ts FILE` and `node bench/lib/cpuProfileCallers.ts FILE NAME`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditWalExporter } from '../exporters/audit_wal/AuditWalExporter.ts';
import { otlpConfigSchema } from '../receivers/otlp/config.ts';
import { OtlpReceiver } from '../receivers/otlp/OtlpReceiver.ts';
import type { LogsConsumer } from '../src/pipeline/consumer.ts';
import type { Wal } from '../src/wal/Wal.ts';
import { quietLogger, startService } from '../test/helpers/startService.ts';
import { contentionBetween, sampleContention, type ContentionSample } from './lib/cpuContention.ts';
import { describeFileSystem } from './lib/fsInfo.ts';
import { WindowProfiler } from './lib/windowProfiler.ts';
import {
  forkLoadClient,
  runLoad,
  type LoadOptions,
  type LoadProtocol,
  type LoadResult,
  type WindowPhase,
} from './lib/otlpLoadClient.ts';
import { round } from './lib/stats.ts';

const env = (k: string, d: string): string => process.env[`RECEIVER_BENCH_${k}`] ?? d;
const CONCURRENCY = Number(env('CONCURRENCY', '8'));
const RECORDS_PER_REQUEST = Number(env('RECORDS_PER_REQUEST', '512'));
const WARMUP_MS = Number(env('WARMUP_MS', '1000'));
const DURATION_MS = Number(env('DURATION_MS', '4000'));
const ROUNDS = Number(env('ROUNDS', '1'));
const SCENARIOS = env('SCENARIOS', 'http_null,http_durable,grpc_null,grpc_durable').split(',');
const CLIENT = env('CLIENT', 'fork');
const WAL_CONFIG = JSON.parse(env('WAL_CONFIG', '{}')) as Record<string, unknown>;
const CPU_PROFILE_DIR = process.env['RECEIVER_BENCH_CPU_PROFILE'];
const KNOBS = [
  'CONCURRENCY',
  'RECORDS_PER_REQUEST',
  'WARMUP_MS',
  'DURATION_MS',
  'ROUNDS',
  'SCENARIOS',
  'CLIENT',
  'WAL_CONFIG',
  'CPU_PROFILE',
];
const IS_VARIANT = KNOBS.some((k) => process.env[`RECEIVER_BENCH_${k}`] !== undefined);
const GOAL_RECORDS_PER_S = 150_000;
const GOAL_RATIO_VS_NULL = 0.6;

const log = (msg: string): void => void process.stderr.write(`[bench:receiver] ${msg}\n`);

interface Server {
  readonly http: string;
  readonly grpc: string;
  readonly wal: Wal | undefined;
  stop(): Promise<void>;
}

/** A real Service: `otlp` receiver → `audit_wal` exporter (defaults plus RECEIVER_BENCH_WAL_CONFIG). */
async function startDurable(dir: string): Promise<Server> {
  const walYaml = Object.entries({ directory: dir, ...WAL_CONFIG })
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  const running = await startService(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal:
${walYaml}service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
  const exporter = [...running.service.exporters.values()].find(
    (e): e is AuditWalExporter => e instanceof AuditWalExporter,
  );
  return {
    http: running.httpUrl.replace('http://', ''),
    grpc: running.grpcUrl.replace('http://', ''),
    wal: exporter?.wal,
    stop: () => running.stop(),
  };
}

/** The same receiver code in front of a consumer that discards: decode and stamp, no durability. */
async function startNull(): Promise<Server> {
  const config = otlpConfigSchema.parse({
    protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } },
  });
  const next: LogsConsumer = { consumeLogs: () => Promise.resolve() };
  const receiver = new OtlpReceiver(
    { id: 'otlp/null', baseDir: process.cwd(), logger: quietLogger },
    config,
    next,
  );
  await receiver.start();
  const ep = receiver.endpoints;
  if (!ep.http || !ep.grpc) throw new Error('null receiver has no endpoints');
  return { http: ep.http, grpc: ep.grpc, wal: undefined, stop: () => receiver.shutdown(10_000) };
}

interface ScenarioResult {
  readonly load: LoadResult;
  /** Server process CPU (all threads) during the window, % of one core. */
  readonly serverCpuPercent: number;
  /** The main thread's CPU over the window, % of one core. */
  readonly serverMainThreadCpuPercent: number;
  /** Server main-thread event-loop utilization during the window (1 = always busy). */
  readonly serverElu: number;
  /** Time the server's main thread was runnable but waiting for a CPU, % of the window (Linux). */
  readonly serverRunQueueWaitPercent: number | undefined;
  /** System-wide CPU pressure (some task waiting for a CPU), % of the window (Linux). */
  readonly cpuPressurePercent: number | undefined;
  readonly walCommitsPerSecond: number | undefined;
  readonly walRecordsPerCommit: number | undefined;
}

async function runScenario(root: string, name: string): Promise<ScenarioResult> {
  const [protocol, kind] = name.split('_') as [LoadProtocol, 'durable' | 'null'];
  const dir = path.join(root, name);
  const server = kind === 'durable' ? await startDurable(dir) : await startNull();
  let cpu0: NodeJS.CpuUsage | undefined;
  let mainCpu0: NodeJS.CpuUsage | undefined;
  let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let commits0 = 0;
  let seq0 = 0;
  let t0 = 0n;
  let contention0: ContentionSample | undefined;
  let window:
    | {
        cpuPercent: number;
        mainThreadCpuPercent: number;
        elu: number;
        commits: number;
        durableRecords: number;
        ms: number;
        contention: ReturnType<typeof contentionBetween>;
      }
    | undefined;
  const profiler = CPU_PROFILE_DIR ? new WindowProfiler() : undefined;
  let profileWritten: Promise<void> = Promise.resolve();
  const onWindow = (phase: WindowPhase): void => {
    const st = server.wal?.status();
    if (phase === 'start') {
      profiler?.start();
      t0 = process.hrtime.bigint();
      cpu0 = process.cpuUsage();
      mainCpu0 = process.threadCpuUsage();
      elu0 = performance.eventLoopUtilization();
      commits0 = st?.commits ?? 0;
      seq0 = st?.durableSeq ?? 0;
      contention0 = sampleContention();
    } else {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      const mainCpu = process.threadCpuUsage(mainCpu0);
      window = {
        ms,
        cpuPercent: ((cpu.user + cpu.system) / 1000 / ms) * 100,
        mainThreadCpuPercent: ((mainCpu.user + mainCpu.system) / 1000 / ms) * 100,
        elu: performance.eventLoopUtilization(elu0).utilization,
        commits: (st?.commits ?? 0) - commits0,
        durableRecords: (st?.durableSeq ?? 0) - seq0,
        contention: contentionBetween(contention0 ?? sampleContention(), sampleContention()),
      };
      if (profiler && CPU_PROFILE_DIR)
        profileWritten = profiler.stop(path.join(CPU_PROFILE_DIR, `${name}-${Date.now()}.cpuprofile`));
    }
  };
  const options: LoadOptions = {
    protocol,
    target: protocol === 'http' ? server.http : server.grpc,
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    recordsPerRequest: RECORDS_PER_REQUEST,
  };
  try {
    const load =
      CLIENT === 'inprocess' ? await runLoad(options, onWindow) : await forkLoadClient(options, onWindow);
    if (load.failedRequests > 0)
      log(`${name}: ${load.failedRequests} failed requests: ${load.failures.join('; ')}`);
    await profileWritten;
    const w = window;
    if (!w) throw new Error(`${name}: the measured window never ended`);
    return {
      load,
      serverCpuPercent: w.cpuPercent,
      serverMainThreadCpuPercent: w.mainThreadCpuPercent,
      serverElu: w.elu,
      serverRunQueueWaitPercent: w.contention.runQueueWaitPercent,
      cpuPressurePercent: w.contention.cpuPressurePercent,
      walCommitsPerSecond: server.wal ? (w.commits * 1000) / w.ms : undefined,
      walRecordsPerCommit: server.wal && w.commits > 0 ? w.durableRecords / w.commits : undefined,
    };
  } finally {
    profiler?.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Server CPU time per acknowledged record (all threads: the main thread, the thread pool's writes and
 * syncs, GC helpers): comparable across runs with different CPU contention.
 */
function cpuUsPerRecord(r: ScenarioResult): number {
  return r.load.recordsPerSecond > 0 ? (r.serverCpuPercent * 1e4) / r.load.recordsPerSecond : Number.NaN;
}

/** The server's main thread alone (the event loop: the part that caps the rate when it is saturated). */
function mainThreadCpuUsPerRecord(r: ScenarioResult): number {
  return r.load.recordsPerSecond > 0
    ? (r.serverMainThreadCpuPercent * 1e4) / r.load.recordsPerSecond
    : Number.NaN;
}

function median(results: readonly ScenarioResult[]): ScenarioResult {
  const sorted = [...results].sort((a, b) => a.load.recordsPerSecond - b.load.recordsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as ScenarioResult;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-bench-receiver-'));
  const out: Record<string, unknown> = {
    bench: 'receiver',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    fs: describeFileSystem(root),
    client: CLIENT === 'inprocess' ? 'in-process' : 'child process (fork)',
    records_per_request: RECORDS_PER_REQUEST,
    concurrency: CONCURRENCY,
    warmup_ms: WARMUP_MS,
    duration_ms: DURATION_MS,
    loadavg_1m_start: round(os.loadavg()[0] ?? 0, 2),
  };
  const samples = new Map<string, ScenarioResult[]>();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of SCENARIOS) {
        log(`${name}${ROUNDS > 1 ? ` (round ${r + 1}/${ROUNDS})` : ''}`);
        const result = await runScenario(root, name);
        log(
          `${name}: ${round(result.load.recordsPerSecond)} records/s, p50 ${round(result.load.p50Ms, 2)} ms, ` +
            `p99 ${round(result.load.p99Ms, 2)} ms, server cpu ${round(result.serverCpuPercent)}%, ` +
            `client cpu ${round(result.load.clientCpuPercent)}%, server run-queue wait ` +
            `${round(result.serverRunQueueWaitPercent ?? Number.NaN)}%, cpu pressure ${round(result.cpuPressurePercent ?? Number.NaN)}%`,
        );
        samples.set(name, [...(samples.get(name) ?? []), result]);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  const first = [...samples.values()][0]?.[0]?.load;
  out['request_bytes'] = first?.requestBytes;
  out['attributes_per_record'] = first?.attributesPerRecord;
  out['record_body_bytes'] = first?.recordBodyBytes;
  const details: Record<string, unknown> = {};
  const rate: Record<string, number> = {};
  let failed = 0;
  for (const [name, results] of samples) {
    const m = median(results);
    rate[name] = m.load.recordsPerSecond;
    failed += results.reduce((n, x) => n + x.load.failedRequests, 0);
    out[`${name}_records_per_s`] = round(m.load.recordsPerSecond);
    const [protocol, kind] = name.split('_');
    const prefix = kind === 'durable' ? protocol : name;
    out[`${prefix}_p50_ms`] = round(m.load.p50Ms, 2);
    out[`${prefix}_p99_ms`] = round(m.load.p99Ms, 2);
    out[`${name}_server_cpu_us_per_record`] = round(cpuUsPerRecord(m), 2);
    out[`${name}_server_main_thread_cpu_us_per_record`] = round(mainThreadCpuUsPerRecord(m), 2);
    if (m.walCommitsPerSecond !== undefined) {
      out[`${protocol}_wal_commits_per_s`] = round(m.walCommitsPerSecond);
      out[`${protocol}_wal_records_per_commit`] = round(m.walRecordsPerCommit ?? 0, 1);
    }
    details[name] = {
      records_per_s: round(m.load.recordsPerSecond),
      ok_requests: m.load.okRequests,
      failed_requests: m.load.failedRequests,
      p50_ms: round(m.load.p50Ms, 2),
      p99_ms: round(m.load.p99Ms, 2),
      max_ms: round(m.load.maxMs, 2),
      server_cpu_pct: round(m.serverCpuPercent),
      server_cpu_us_per_record: round(cpuUsPerRecord(m), 2),
      server_main_thread_cpu_us_per_record: round(mainThreadCpuUsPerRecord(m), 2),
      server_event_loop_utilization: round(m.serverElu, 3),
      server_run_queue_wait_pct:
        m.serverRunQueueWaitPercent === undefined ? null : round(m.serverRunQueueWaitPercent),
      cpu_pressure_pct: m.cpuPressurePercent === undefined ? null : round(m.cpuPressurePercent),
      client_cpu_pct: round(m.load.clientCpuPercent),
      ...(results.length > 1
        ? { samples_records_per_s: results.map((x) => round(x.load.recordsPerSecond)) }
        : {}),
    };
  }
  const ratio = (a: number | undefined, b: number | undefined): number | null =>
    a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : null;
  out['ratio_http_vs_null'] = ratio(rate['http_durable'], rate['http_null']);
  out['ratio_grpc_vs_null'] = ratio(rate['grpc_durable'], rate['grpc_null']);
  out['failed_requests'] = failed;
  out['goal'] = { records_per_s: GOAL_RECORDS_PER_S, ratio_vs_null: GOAL_RATIO_VS_NULL };
  for (const p of ['http', 'grpc']) {
    const d = rate[`${p}_durable`];
    const rt = out[`ratio_${p}_vs_null`];
    if (d !== undefined)
      out[`${p}_goal_met`] = d >= GOAL_RECORDS_PER_S && (typeof rt !== 'number' || rt >= GOAL_RATIO_VS_NULL);
  }
  out['scenarios'] = details;
  out['loadavg_1m_end'] = round(os.loadavg()[0] ?? 0, 2);
  if (IS_VARIANT) {
    out['variant'] = Object.fromEntries(
      KNOBS.filter((k) => process.env[`RECEIVER_BENCH_${k}`] !== undefined).map((k) => [
        k.toLowerCase(),
        process.env[`RECEIVER_BENCH_${k}`],
      ]),
    );
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
