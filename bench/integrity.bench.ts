/**
 * Integrity benchmark: what tamper evidence costs, measured in one run.
 *
 *   npm run bench:integrity      # prints ONE JSON line on stdout (progress on stderr)
 *
 * (a) pipeline: records/s through the Service pipeline `[audit_wal]` against
 *     `[audit_chain, audit_sign, audit_wal]` (hash chain, Merkle tree,
 *     Ed25519-signed checkpoint every 1,000 records), the same records, both
 *     durable (fdatasync group commit), fed by `consumeLogs` with batches of
 *     256 from 8 concurrent callers; rounds interleave the two, medians are
 *     reported. `chain_overhead` = 1 - chained / plain (goal <= 0.15).
 *     Also CPU-µs per record of the timed window (`process.cpuUsage`, all
 *     threads; and the main thread alone) and `chain_cpu_overhead` =
 *     chained / plain CPU per record - 1: steadier on a shared machine.
 * (b) signing: `signBytes` records/s per algorithm over the Collector
 *     `signing` processor payload (`collectorPayloadBytes`) of distinct
 *     records (what `audit_sign` with `per_record: true` does per record),
 *     and the rate of building that payload.
 * (c) verify: builds a chained, checkpointed WAL of at least 1 GiB in a temp
 *     directory (`syncPolicy: 'none'`: fast to build, not durable — only
 *     reading it back is measured), then times `verifyWalParallel` over it
 *     with the public key in a child process (worker threads: one per core
 *     by default): records/s, MiB/s, CPU µs per record (whole process and
 *     main thread: the ordered part) and peak RSS (goal:
 *     >= 1,000,000 records/s in bounded memory). The WAL is deleted at the end.
 *     Needs 3 GiB free in the temp directory (checked first).
 *
 * Knobs (any of them adds "variant": true): INTEGRITY_BENCH_RECORDS (pipeline
 * records per run, default 100000), INTEGRITY_BENCH_ROUNDS (3),
 * INTEGRITY_BENCH_PHASES (pipeline,sign,verify), INTEGRITY_BENCH_WAL_BYTES
 * (1073741824; e.g. 134217728 for a quick 128 MiB run), INTEGRITY_BENCH_SIGN_MS (1000 per algorithm),
 * INTEGRITY_BENCH_VERIFY_WORKERS (verify worker threads, default the core count; 0 = `verifyWal` in one
 * thread),
 * INTEGRITY_BENCH_CPU_PROF_DIR (CPU profiles there: the timed window of the last
 * round's pipeline runs, `pipeline-plain|chained.cpuprofile`, and the verify child, run
 * with --cpu-prof; summarize with `node bench/lib/cpuProfileTop.ts FILE`).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPublicKey } from 'node:crypto';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import type { ComponentLogger } from '../src/pipeline/factories.ts';
import { encodeRecord } from '../src/record/walCodec.ts';
import { auditEvents, describeEvents } from './lib/auditEvents.ts';
import { buildBigChainedWal } from './lib/bigChainedWal.ts';
import { describeFileSystem } from './lib/fsInfo.ts';
import { runIntegrityPipeline } from './lib/integrityPipeline.ts';
import { auditRecordOf } from './lib/integrityRecords.ts';
import { measureSigning } from './lib/integritySigning.ts';
import { round } from './lib/stats.ts';

const env = process.env;
const RECORDS = Number(env['INTEGRITY_BENCH_RECORDS'] ?? '100000');
const ROUNDS = Number(env['INTEGRITY_BENCH_ROUNDS'] ?? '3');
const PHASES = new Set((env['INTEGRITY_BENCH_PHASES'] ?? 'pipeline,sign,verify').split(','));
const WAL_BYTES = Number(env['INTEGRITY_BENCH_WAL_BYTES'] ?? String(1024 ** 3));
const SIGN_MS = Number(env['INTEGRITY_BENCH_SIGN_MS'] ?? '1000');
const CPU_PROF_DIR = env['INTEGRITY_BENCH_CPU_PROF_DIR'];
const VERIFY_WORKERS = Number(env['INTEGRITY_BENCH_VERIFY_WORKERS'] ?? String(os.availableParallelism()));
const IS_VARIANT = [
  'INTEGRITY_BENCH_RECORDS',
  'INTEGRITY_BENCH_ROUNDS',
  'INTEGRITY_BENCH_PHASES',
  'INTEGRITY_BENCH_WAL_BYTES',
  'INTEGRITY_BENCH_SIGN_MS',
  'INTEGRITY_BENCH_CPU_PROF_DIR',
  'INTEGRITY_BENCH_VERIFY_WORKERS',
].some((k) => env[k] !== undefined);
const BATCH_RECORDS = 256;
const CALLERS = 8;
const CHECKPOINT_EVERY = 1000;
const FREE_BYTES_MIN = 3 * 1024 ** 3;
const GOAL_OVERHEAD = 0.15;
const GOAL_VERIFY_RECORDS_PER_S = 1_000_000;
const MIB = 1024 * 1024;

const log = (msg: string): void => void process.stderr.write(`[bench:integrity] ${msg}\n`);
const quietLogger: ComponentLogger = { info: () => undefined, warn: log, error: log };
const events = auditEvents(1024);
const keys = generateKeyPair('EdDSA');
const loadAverage1m = (): number => round(os.loadavg()[0] ?? 0, 2);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function pipelinePhase(root: string, keyFile: string): Promise<Record<string, unknown>> {
  const ring = new KeyRing();
  ring.add(createPublicKey(keys.publicKeyPem));
  const samples: Record<'plain' | 'chained', number[]> = { plain: [], chained: [] };
  const cpuSamples: Record<'plain' | 'chained', number[]> = { plain: [], chained: [] };
  const mainCpuSamples: Record<'plain' | 'chained', number[]> = { plain: [], chained: [] };
  let checkpoints = 0;
  const run = async (name: string, chained: boolean, records: number, profile = false) =>
    runIntegrityPipeline({
      dir: path.join(root, name),
      chained,
      privateKeyFile: keyFile,
      records: Array.from({ length: records }, (_, i) => auditRecordOf(events, i)),
      batchRecords: BATCH_RECORDS,
      callers: CALLERS,
      checkpointEveryRecords: CHECKPOINT_EVERY,
      logger: quietLogger,
      keys: ring,
      ...(profile && CPU_PROF_DIR !== undefined
        ? { profileFile: path.join(CPU_PROF_DIR, `pipeline-${chained ? 'chained' : 'plain'}.cpuprofile`) }
        : {}),
    });
  log(`pipeline: warm-up`);
  await run('warm-plain', false, Math.min(RECORDS, 20_000));
  await run('warm-chained', true, Math.min(RECORDS, 20_000));
  for (let n = 1; n <= ROUNDS; n++) {
    // Alternate which goes first, so a slow spell of a shared machine does not always hit the same one.
    const order = n % 2 === 1 ? [false, true] : [true, false];
    for (const chained of order) {
      const r = await run(`${chained ? 'chained' : 'plain'}-${n}`, chained, RECORDS, n === ROUNDS);
      const kind = chained ? 'chained' : 'plain';
      samples[kind].push(r.recordsPerSecond);
      cpuSamples[kind].push(r.cpuMicrosPerRecord);
      mainCpuSamples[kind].push(r.mainThreadCpuMicrosPerRecord);
      if (chained) checkpoints = r.checkpoints;
      log(
        `pipeline round ${n}: ${kind} ${Math.round(r.recordsPerSecond)} records/s, ` +
          `${round(r.cpuMicrosPerRecord, 2)} CPU-µs/record (main thread ${round(r.mainThreadCpuMicrosPerRecord, 2)})`,
      );
    }
  }
  const plain = median(samples.plain);
  const chained = median(samples.chained);
  const overhead = 1 - chained / plain;
  const plainCpu = median(cpuSamples.plain);
  const chainedCpu = median(cpuSamples.chained);
  return {
    pipeline_records: RECORDS,
    pipeline_batch_records: BATCH_RECORDS,
    pipeline_callers: CALLERS,
    pipeline_sync_policy: 'fdatasync',
    checkpoint_every_records: CHECKPOINT_EVERY,
    checkpoints_per_run: checkpoints,
    plain_records_per_s: round(plain),
    chained_records_per_s: round(chained),
    chain_overhead: round(overhead, 3),
    goal_chain_overhead_max: GOAL_OVERHEAD,
    goal_chain_overhead_met: overhead <= GOAL_OVERHEAD,
    pipeline_samples_records_per_s: {
      plain: samples.plain.map((x) => round(x)),
      chained: samples.chained.map((x) => round(x)),
    },
    plain_cpu_us_per_record: round(plainCpu, 2),
    chained_cpu_us_per_record: round(chainedCpu, 2),
    plain_main_thread_cpu_us_per_record: round(median(mainCpuSamples.plain), 2),
    chained_main_thread_cpu_us_per_record: round(median(mainCpuSamples.chained), 2),
    // The CPU the chain and checkpoint signing add per record, as a fraction of the plain pipeline's CPU.
    chain_cpu_overhead: round(chainedCpu / plainCpu - 1, 3),
    pipeline_samples_cpu_us_per_record: {
      plain: cpuSamples.plain.map((x) => round(x, 2)),
      chained: cpuSamples.chained.map((x) => round(x, 2)),
    },
  };
}

function signPhase(): Record<string, unknown> {
  log('signing: per algorithm');
  const records = Array.from({ length: 1024 }, (_, i) => auditRecordOf(events, i));
  const s = measureSigning(records, SIGN_MS);
  return {
    collector_payload_records_per_s: round(s.payloadRecordsPerSecond),
    collector_payload_bytes_avg: round(s.payloadBytesAvg),
    sign_records_per_s: Object.fromEntries(
      Object.entries(s.signRecordsPerSecond).map(([k, v]) => [k, round(v)]),
    ),
    rsa_modulus_bits: s.rsaModulusBits,
  };
}

async function verifyPhase(root: string): Promise<Record<string, unknown>> {
  const stats = fs.statfsSync(root);
  const free = stats.bavail * stats.bsize;
  if (free < FREE_BYTES_MIN) {
    throw new Error(
      `verify phase needs ${FREE_BYTES_MIN / 1024 ** 3} GiB free in ${root} (has ${(free / 1024 ** 3).toFixed(2)} GiB); ` +
        'point TMPDIR at a larger disk or skip it with INTEGRITY_BENCH_PHASES=pipeline,sign',
    );
  }
  const dir = path.join(root, 'big-wal');
  log(`verify: building a chained WAL of >= ${round(WAL_BYTES / MIB)} MiB in ${dir} (sync_policy none)`);
  let lastLog = 0;
  const built = await buildBigChainedWal({
    dir,
    targetBytes: WAL_BYTES,
    privateKeyPem: keys.privateKeyPem,
    events,
    checkpointEveryRecords: CHECKPOINT_EVERY,
    onProgress: (records, bytes) => {
      if (Date.now() - lastLog < 10_000) return;
      lastLog = Date.now();
      log(`verify: built ${records} records, ${round(bytes / MIB)} MiB`);
    },
  });
  log(
    `verify: built ${built.records} records, ${round(built.bytes / MIB)} MiB in ${round(built.buildMs / 1000, 1)} s; verifying`,
  );
  const publicKeyFile = path.join(root, 'public.pem');
  fs.writeFileSync(publicKeyFile, keys.publicKeyPem);
  const child = fileURLToPath(new URL('./lib/verifyWalChild.ts', import.meta.url));
  const profile = CPU_PROF_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`];
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...profile, child, dir, publicKeyFile, String(VERIFY_WORKERS)],
    {
      maxBuffer: 1024 * 1024,
    },
  );
  const v = JSON.parse(stdout) as {
    ok: boolean;
    first_issue?: string;
    records: number;
    checkpoints: number;
    elapsed_ms: number;
    cpu_us: number;
    main_thread_cpu_us: number;
    rss_start_bytes: number;
    rss_peak_sampled_bytes: number;
    max_rss_bytes: number;
  };
  if (!v.ok || v.records !== built.records) {
    throw new Error(`verify: ok ${v.ok}, ${v.records} of ${built.records} records: ${v.first_issue ?? ''}`);
  }
  const recordsPerSecond = (v.records * 1000) / v.elapsed_ms;
  return {
    verify_wal_bytes: built.bytes,
    verify_wal_segments: built.segments,
    verify_records: v.records,
    verify_checkpoints: v.checkpoints,
    verify_record_payload_bytes: encodeRecord(auditRecordOf(events, 0)).length,
    verify_build_sync_policy: 'none',
    verify_build_records_per_s: round((built.records * 1000) / built.buildMs),
    verify_seconds: round(v.elapsed_ms / 1000, 2),
    verify_records_per_s: round(recordsPerSecond),
    verify_mib_per_s: round(built.bytes / MIB / (v.elapsed_ms / 1000), 1),
    verify_workers: VERIFY_WORKERS,
    verify_cpu_us_per_record: round(v.cpu_us / v.records, 2),
    verify_main_thread_cpu_us_per_record: round(v.main_thread_cpu_us / v.records, 2),
    verify_rss_start_mib: round(v.rss_start_bytes / MIB, 1),
    verify_rss_peak_sampled_mib: round(v.rss_peak_sampled_bytes / MIB, 1),
    verify_max_rss_mib: round(v.max_rss_bytes / MIB, 1),
    goal_verify_records_per_s: GOAL_VERIFY_RECORDS_PER_S,
    goal_verify_met: recordsPerSecond >= GOAL_VERIFY_RECORDS_PER_S,
  };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-bench-integrity-'));
  const keyFile = path.join(root, 'signing.pem');
  fs.writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
  const out: Record<string, unknown> = {
    bench: 'integrity',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    loadavg_1m_start: loadAverage1m(),
    fs: describeFileSystem(root),
    record_shape: describeEvents(events),
    ...(IS_VARIANT ? { variant: true } : {}),
  };
  try {
    if (PHASES.has('pipeline')) Object.assign(out, await pipelinePhase(root, keyFile));
    if (PHASES.has('sign')) Object.assign(out, signPhase());
    if (PHASES.has('verify')) Object.assign(out, await verifyPhase(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  out['loadavg_1m_end'] = loadAverage1m();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
