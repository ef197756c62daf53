/**
 * WAL benchmark: durable appends compared with the disk's sync-rate limit and
 * with non-durable pino logging, all measured in one run on the same disk
 * (a temp dir under os.tmpdir(), removed at the end).
 *
 *   npm run bench:wal            # prints ONE JSON line on stdout (progress on stderr)
 *
 * Phases, in order:
 *   1. raw fdatasync: 256-byte positional write + fs.fdatasyncSync in a loop,
 *      into a zero-filled (preallocated) file and into a growing file; also the
 *      same through the libuv thread pool (fs.fdatasync), which is how the WAL syncs.
 *   2. pino: 1,000,000 ~256-byte JSON lines to pino.destination({ sync: true }).
 *   3. WAL closed loop: 1, 64 and 1,024 clients each awaiting append() in a loop.
 *   4. WAL open loop: appends issued at a fixed 10,000 records/s; ack latency.
 *
 * Tuning knobs for profiling (environment variables, all optional):
 *   WAL_BENCH_OPTIONS='{"preallocate":"off","commitDelayMs":1}'  extra WalOptions (JSON)
 *   WAL_BENCH_PHASES=raw,pino,c1,c64,c1024,ack                   subset of phases to run
 *   WAL_BENCH_SCALE=0.5                                         multiplies every duration / count
 * With any knob set, the output carries `"variant"` so it is not mistaken for a default run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wal, type WalOptions } from '../src/wal/index.ts';
import { describeFileSystem } from './lib/fsInfo.ts';
import { measurePinoRecordsPerSecond } from './lib/pinoBaseline.ts';
import { measureRawFdatasync } from './lib/rawSync.ts';
import { round } from './lib/stats.ts';
import { closedLoop, openLoop } from './lib/walLoad.ts';

const RECORD_BYTES = 256;
const PINO_RECORDS = 1_000_000;
const RAW_MS = 2000;
const WAL_WARMUP_MS = 500;
const WAL_MS = 3000;
const ACK_RATE_PER_S = 10_000;
const ACK_TICK_MS = 1;
const CONCURRENCIES = [1, 64, 1024] as const;

const scale = Number(process.env['WAL_BENCH_SCALE'] ?? '1');
const extraOptions = JSON.parse(process.env['WAL_BENCH_OPTIONS'] ?? '{}') as Partial<WalOptions>;
const phases = new Set((process.env['WAL_BENCH_PHASES'] ?? 'raw,pino,c1,c64,c1024,ack').split(','));
const isVariant =
  scale !== 1 || Object.keys(extraOptions).length > 0 || process.env['WAL_BENCH_PHASES'] !== undefined;

const log = (msg: string): void => void process.stderr.write(`[bench:wal] ${msg}\n`);

/** A 256-byte audit event as JSON (the same kind of content pino writes in phase 2). */
function auditPayload(bytes: number): Buffer {
  const base = { user: 'u123', action: 'login', resource: '/accounts/42', outcome: 'success', note: '' };
  const pad = bytes - Buffer.byteLength(JSON.stringify(base));
  const b = Buffer.from(JSON.stringify({ ...base, note: 'x'.repeat(Math.max(0, pad)) }));
  if (b.length !== bytes) throw new Error(`payload is ${b.length} bytes, wanted ${bytes}`);
  return b;
}

/** Opens a WAL with default options (plus any profiling overrides) in a fresh directory. */
function openWal(root: string, name: string): Wal {
  return Wal.open({ dir: path.join(root, name), ...extraOptions, onWarning: (m) => log(`warning: ${m}`) });
}

async function withWal<T>(root: string, name: string, fn: (wal: Wal) => Promise<T>): Promise<T> {
  const wal = openWal(root, name);
  try {
    return await fn(wal);
  } finally {
    await wal.close();
    fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-bench-'));
  const out: Record<string, unknown> = {
    bench: 'wal',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    fs: describeFileSystem(root),
    record_bytes: RECORD_BYTES,
    // Other processes competing for the 2 CPUs or the disk distort every number: check these.
    loadavg_1m_start: round(os.loadavg()[0] ?? 0, 2),
    // Every WAL phase uses a syncing policy unless a profiling override says otherwise.
    durable: (extraOptions.syncPolicy ?? 'fdatasync') !== 'none',
  };
  const payload = auditPayload(RECORD_BYTES);
  try {
    // 1. The disk's sync-rate limit.
    if (phases.has('raw')) {
      const rawMs = RAW_MS * scale;
      log(`raw fdatasync (${rawMs} ms each)`);
      const zeros = await measureRawFdatasync({
        dir: root,
        writeBytes: RECORD_BYTES,
        durationMs: rawMs,
        layout: 'zeros',
      });
      const grow = await measureRawFdatasync({
        dir: root,
        writeBytes: RECORD_BYTES,
        durationMs: rawMs,
        layout: 'grow',
      });
      const pool = await measureRawFdatasync({
        dir: root,
        writeBytes: RECORD_BYTES,
        durationMs: rawMs,
        layout: 'zeros',
        mode: 'async',
      });
      out['raw_fdatasync_per_s'] = round(zeros.syncsPerSecond);
      out['raw_fdatasync_ms_p50'] = round(zeros.p50Ms, 3);
      out['raw_fdatasync_ms_p99'] = round(zeros.p99Ms, 3);
      out['raw_fdatasync_ms_max'] = round(zeros.maxMs, 3);
      out['raw_fdatasync_growing_per_s'] = round(grow.syncsPerSecond);
      out['raw_fdatasync_threadpool_per_s'] = round(pool.syncsPerSecond);
    }

    // 2. Non-durable baseline.
    if (phases.has('pino')) {
      const records = Math.round(PINO_RECORDS * scale);
      log(`pino ${records} records`);
      const pino = await measurePinoRecordsPerSecond({ dir: root, records, lineBytes: RECORD_BYTES });
      out['pino_records_per_s'] = round(pino.recordsPerSecond);
      out['pino_line_bytes'] = pino.lineBytes;
      out['pino_cpu_us_per_record'] = round(pino.cpuUsPerRecord, 2);
    }

    // 3. Durable WAL throughput with 1, 64, 1024 outstanding appends.
    for (const c of CONCURRENCIES) {
      if (!phases.has(`c${c}`)) continue;
      log(`wal closed loop, ${c} outstanding`);
      const r = await withWal(root, `wal-c${c}`, (wal) =>
        closedLoop({
          wal,
          payload,
          concurrency: c,
          warmupMs: WAL_WARMUP_MS * scale,
          durationMs: WAL_MS * scale,
        }),
      );
      out[`wal_records_per_s_c${c}`] = round(r.recordsPerSecond);
      out[`wal_commits_per_s_c${c}`] = round((r.commits * 1000) / r.elapsedMs);
      out[`wal_records_per_commit_c${c}`] = round(r.recordsPerCommit, 1);
      out[`wal_cpu_us_per_record_c${c}`] = round(r.cpuUsPerRecord, 2);
      out[`wal_event_loop_utilization_c${c}`] = round(r.eventLoopUtilization, 3);
    }

    // 4. Ack latency at a fixed offered load.
    if (phases.has('ack')) {
      log(`wal open loop, ${ACK_RATE_PER_S} records/s`);
      const r = await withWal(root, 'wal-ack', (wal) =>
        openLoop({
          wal,
          payload,
          ratePerSecond: ACK_RATE_PER_S,
          tickMs: ACK_TICK_MS,
          warmupMs: WAL_WARMUP_MS * scale,
          durationMs: WAL_MS * scale,
        }),
      );
      out['wal_ack_latency_from'] = 'append() call';
      out['wal_ack_ms_p50'] = round(r.callP50Ms, 3);
      out['wal_ack_ms_p99'] = round(r.callP99Ms, 3);
      out['wal_ack_ms_p999'] = round(r.callP999Ms, 3);
      out['wal_ack_ms_max'] = round(r.callMaxMs, 3);
      out['wal_ack_sched_ms_p50'] = round(r.schedP50Ms, 3);
      out['wal_ack_sched_ms_p99'] = round(r.schedP99Ms, 3);
      out['wal_ack_issue_lag_ms_p99'] = round(r.issueLagP99Ms, 3);
      out['wal_ack_offered_per_s'] = r.offeredPerSecond;
      out['wal_ack_achieved_per_s'] = round(r.achievedPerSecond);
      out['wal_ack_records_per_commit'] = round(r.recordsPerCommit, 1);
    }

    const ratio = (a: unknown, b: unknown): number | null =>
      typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 3) : null;
    out['ratio_vs_pino'] = ratio(out['wal_records_per_s_c1024'], out['pino_records_per_s']);
    out['ratio_c1_vs_raw_fdatasync'] = ratio(out['wal_records_per_s_c1'], out['raw_fdatasync_per_s']);
    out['loadavg_1m_end'] = round(os.loadavg()[0] ?? 0, 2);
    if (isVariant) {
      out['variant'] = { options: extraOptions, phases: [...phases], scale };
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
