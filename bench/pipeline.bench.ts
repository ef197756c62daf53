/**
 * In-process pipeline benchmark: records/s through an OpenTelemetry
 * `LoggerProvider` whose processors are otel-audit's (optional `attributes`
 * processor, then the `audit_wal` exporter with the default fdatasync group
 * commit), compared in the same run, with the same records, against
 *   - pino writing the same events to a file (`pino.destination({ sync: true })`,
 *     page cache only: the non-durable baseline), and
 *   - the SDK's `BatchLogRecordProcessor` with an exporter that discards
 *     (the cost of the OpenTelemetry SDK alone).
 *
 *   npm run bench:pipeline       # prints ONE JSON line on stdout (progress on stderr)
 *
 * Method. The SDK's `emit` is synchronous and the WAL makes records durable
 * asynchronously (group commit), so a durable rate is: emit N records in a
 * tight loop, then `await audit.forceFlush()` (resolves when all N are
 * durable), N / elapsed — emit and commit time both included. The batch
 * baseline is timed the same way, until its `forceFlush` resolves. Extra
 * figures: the emit-only rate, a "chunked" run that yields to the event loop
 * every 1,000 records (so commits overlap with emitting, as in a server), and
 * `durability: strict` (one fdatasync inside every emit, fewer records).
 * Every contender runs once unmeasured (warm-up); then PIPELINE_BENCH_ROUNDS
 * rounds (default 3) run all contenders in turn, and each figure is the
 * median of its rounds (all samples are in `samples_records_per_s`).
 *
 * Knobs (environment, optional): PIPELINE_BENCH_RECORDS (default 200000),
 * PIPELINE_BENCH_STRICT_RECORDS (2000), PIPELINE_BENCH_ROUNDS (3), PIPELINE_BENCH_PHASES
 * (pino,batch,audit,chunked,strict), PIPELINE_BENCH_WAL_CONFIG (JSON object of extra
 * `audit_wal` keys, e.g. '{"queue_records_max":1000000}', for profiling). With any knob set the
 * output carries `"variant": true`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { LogRecord } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { createAuditLogging } from '../src/inprocess/createAuditLogging.ts';
import type { ComponentLogger } from '../src/pipeline/factories.ts';
import { decodeRecord } from '../src/record/walCodec.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { auditEvents, describeEvents, toPinoFields, toSdkLogRecord } from './lib/auditEvents.ts';
import { DiscardLogRecordExporter } from './lib/discardExporter.ts';
import { describeFileSystem } from './lib/fsInfo.ts';
import { measurePinoFile } from './lib/pinoFileBaseline.ts';
import { msSince, round } from './lib/stats.ts';

const RECORDS = Number(process.env['PIPELINE_BENCH_RECORDS'] ?? '200000');
const STRICT_RECORDS = Number(process.env['PIPELINE_BENCH_STRICT_RECORDS'] ?? '2000');
const PHASES = new Set(
  (process.env['PIPELINE_BENCH_PHASES'] ?? 'pino,batch,audit,chunked,strict').split(','),
);
const EXTRA_WAL_CONFIG = JSON.parse(process.env['PIPELINE_BENCH_WAL_CONFIG'] ?? '{}') as Record<
  string,
  unknown
>;
const IS_VARIANT = [
  'PIPELINE_BENCH_RECORDS',
  'PIPELINE_BENCH_STRICT_RECORDS',
  'PIPELINE_BENCH_PHASES',
  'PIPELINE_BENCH_ROUNDS',
  'PIPELINE_BENCH_WAL_CONFIG',
].some((k) => process.env[k] !== undefined);
const ROUNDS = Number(process.env['PIPELINE_BENCH_ROUNDS'] ?? '3');
const WARMUP_RECORDS = Math.min(RECORDS, 20_000);
const WARMUP_STRICT_RECORDS = Math.min(STRICT_RECORDS, 200);
const DISTINCT_EVENTS = 1024;
const CHUNK_RECORDS = 1000;
const GOAL_RATIO_VS_PINO = 0.5;
const ATTRIBUTES_PROCESSOR = 'attributes/bench';

const log = (msg: string): void => void process.stderr.write(`[bench:pipeline] ${msg}\n`);
const quietLogger: ComponentLogger = { info: () => undefined, warn: log, error: log };

const events = auditEvents(DISTINCT_EVENTS);
const sdkRecords: LogRecord[] = events.map(toSdkLogRecord);
const pinoLines = events.map((e) => [toPinoFields(e), e.body] as const);
const resource = resourceFromAttributes({ 'service.name': 'bench-app', 'service.version': '1.0.0' });

/** The `attributes` processor when this build has it (it is being added); otherwise none. */
function chooseProcessors(): string[] {
  return createFactoryRegistry().find('processor', 'attributes') ? [ATTRIBUTES_PROCESSOR] : [];
}

function pipelineConfig(dir: string, processors: readonly string[], durability: string): string {
  const processorsYaml = processors.includes(ATTRIBUTES_PROCESSOR)
    ? `processors:\n  ${ATTRIBUTES_PROCESSOR}:\n    actions:\n      - { key: env, value: prod, action: upsert }\n`
    : '';
  return `
receivers:
  audit_sdk:
${processorsYaml}exporters:
  audit_wal:
    directory: ${JSON.stringify(dir)}
    durability: ${durability}
${Object.entries(EXTRA_WAL_CONFIG)
  .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
  .join('')}service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      processors: [${processors.join(', ')}]
      exporters: [audit_wal]
`;
}

interface AuditRun {
  readonly recordsPerSecond: number;
  readonly emitRecordsPerSecond: number;
  readonly commits: number;
  readonly payloadBytes: number;
}

type EmitMode = 'tight' | 'chunked';

async function runAudit(o: {
  root: string;
  name: string;
  records: number;
  processors: readonly string[];
  durability: 'group_commit' | 'strict';
  mode: EmitMode;
}): Promise<AuditRun> {
  const dir = path.join(o.root, o.name);
  const audit = await createAuditLogging({
    config: pipelineConfig(dir, o.processors, o.durability),
    logger: quietLogger,
  });
  const provider = new LoggerProvider({ resource, processors: audit.processors });
  const logger = provider.getLogger('bench', '1.0.0');
  const n = sdkRecords.length;
  try {
    const start = process.hrtime.bigint();
    if (o.mode === 'tight') {
      for (let i = 0; i < o.records; i++) logger.emit(sdkRecords[i % n] as LogRecord);
    } else {
      for (let i = 0; i < o.records;) {
        const end = Math.min(o.records, i + CHUNK_RECORDS);
        for (; i < end; i++) logger.emit(sdkRecords[i % n] as LogRecord);
        await yieldToEventLoop();
      }
    }
    const emitMs = msSince(start);
    await audit.forceFlush();
    const elapsedMs = msSince(start);
    const status = audit.wal.status();
    if (status.durableSeq !== o.records) {
      throw new Error(`${o.name}: ${status.durableSeq} records durable, expected ${o.records}`);
    }
    const first = [...audit.wal.read({ fromSeq: 1, toSeq: 1 })][0];
    const stored = first ? decodeRecord(first.payload) : undefined;
    if (stored === undefined || stored.body !== (sdkRecords[0] as LogRecord).body) {
      throw new Error(`${o.name}: the first record is missing or differs`);
    }
    const env = stored.attributes.find((a) => a.key === 'env')?.value;
    if (o.processors.includes(ATTRIBUTES_PROCESSOR) && env !== 'prod') {
      throw new Error(`${o.name}: the attributes processor did not upsert env=prod`);
    }
    return {
      recordsPerSecond: (o.records * 1000) / elapsedMs,
      emitRecordsPerSecond: (o.records * 1000) / emitMs,
      commits: status.commits,
      payloadBytes: first?.payload.length ?? 0,
    };
  } finally {
    await provider.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runSdkBatch(records: number): Promise<number> {
  const exporter = new DiscardLogRecordExporter();
  // maxQueueSize = records: with the default 2,048 a tight loop would mostly drop records (the
  // batch processor drops when its queue is full) and look fast for the wrong reason.
  const processor = new BatchLogRecordProcessor({ exporter, maxQueueSize: records });
  const provider = new LoggerProvider({ resource, processors: [processor] });
  const logger = provider.getLogger('bench', '1.0.0');
  const n = sdkRecords.length;
  try {
    const start = process.hrtime.bigint();
    for (let i = 0; i < records; i++) logger.emit(sdkRecords[i % n] as LogRecord);
    await provider.forceFlush();
    const elapsedMs = msSince(start);
    if (exporter.exportedCount !== records) {
      throw new Error(`sdk batch: ${exporter.exportedCount} records exported, expected ${records}`);
    }
    return (records * 1000) / elapsedMs;
  } finally {
    await provider.shutdown();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const loadAverage1m = (): number => round(os.loadavg()[0] ?? 0, 2);

async function warmUp(base: { root: string; processors: readonly string[] }): Promise<void> {
  log(`warm-up (${WARMUP_RECORDS} records each)`);
  if (PHASES.has('pino'))
    await measurePinoFile({ dir: base.root, lines: pinoLines, records: WARMUP_RECORDS });
  if (PHASES.has('batch')) await runSdkBatch(WARMUP_RECORDS);
  const r = { ...base, records: WARMUP_RECORDS, durability: 'group_commit' } as const;
  if (PHASES.has('audit')) await runAudit({ ...r, name: 'warm', mode: 'tight' });
  if (PHASES.has('chunked')) await runAudit({ ...r, name: 'warm-chunked', mode: 'chunked' });
  if (PHASES.has('strict')) {
    const s = { ...base, name: 'warm-strict', records: WARMUP_STRICT_RECORDS, durability: 'strict' } as const;
    await runAudit({ ...s, mode: 'tight' });
  }
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-bench-pipeline-'));
  const processors = chooseProcessors();
  if (processors.length === 0) log('the attributes processor is not registered yet: pipeline without it');
  const out: Record<string, unknown> = {
    bench: 'pipeline',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    loadavg_1m_start: loadAverage1m(),
    fs: describeFileSystem(root),
    records: RECORDS,
    strict_records: STRICT_RECORDS,
    rounds: ROUNDS,
    record_shape: describeEvents(events),
    processors: [...processors, 'audit_wal'],
    sync_policy: 'fdatasync',
    ...(Object.keys(EXTRA_WAL_CONFIG).length > 0 ? { wal_config: EXTRA_WAL_CONFIG } : {}),
    ...(IS_VARIANT ? { variant: true } : {}),
  };
  const details: Record<string, unknown> = {};
  const samples: Record<string, number[]> = {};
  const sample = (key: string, value: number): void => void (samples[key] ??= []).push(value);
  try {
    const base = { root, processors };
    await warmUp(base);
    const group = { ...base, records: RECORDS, durability: 'group_commit' } as const;
    // Rounds interleave the contenders, so a slow spell of a shared machine hits all of them.
    for (let n = 1; n <= ROUNDS; n++) {
      log(`round ${n}/${ROUNDS}`);
      if (PHASES.has('pino')) {
        const p = await measurePinoFile({ dir: root, lines: pinoLines, records: RECORDS });
        sample('pino', p.recordsPerSecond);
        details['pino_line_bytes_avg'] = round(p.lineBytesAvg);
      }
      if (PHASES.has('batch')) sample('sdk_batch_discard', await runSdkBatch(RECORDS));
      if (PHASES.has('audit')) {
        const a = await runAudit({ ...group, name: `audit-${n}`, mode: 'tight' });
        sample('audit_pipeline', a.recordsPerSecond);
        sample('audit_pipeline_emit_only', a.emitRecordsPerSecond);
        details['audit_pipeline_commits'] = a.commits;
        details['wal_payload_bytes'] = a.payloadBytes;
      }
      if (PHASES.has('chunked')) {
        const c = await runAudit({ ...group, name: `chunked-${n}`, mode: 'chunked' });
        sample('audit_chunked', c.recordsPerSecond);
        details['audit_chunked_commits'] = c.commits;
      }
      if (PHASES.has('strict')) {
        const s = await runAudit({
          ...base,
          name: `strict-${n}`,
          records: STRICT_RECORDS,
          durability: 'strict',
          mode: 'tight',
        });
        sample('audit_strict', s.recordsPerSecond);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const medians: Record<string, number> = {};
  for (const [key, values] of Object.entries(samples)) medians[key] = median(values);
  const rate = (key: string): Record<string, number> =>
    medians[key] === undefined ? {} : { [`${key}_records_per_s`]: round(medians[key]) };
  const ratio = (name: string, a: number | undefined, b: number | undefined): Record<string, number> =>
    a === undefined || b === undefined ? {} : { [name]: round(a / b, 3) };
  const audit = medians['audit_pipeline'];
  const pino = medians['pino'];
  Object.assign(
    out,
    rate('audit_pipeline'),
    rate('pino'),
    rate('sdk_batch_discard'),
    ratio('ratio_vs_pino', audit, pino),
    ratio('ratio_vs_sdk_batch', audit, medians['sdk_batch_discard']),
    audit === undefined || pino === undefined
      ? {}
      : { goal_ratio_vs_pino: GOAL_RATIO_VS_PINO, goal_met: audit / pino >= GOAL_RATIO_VS_PINO },
    rate('audit_strict'),
    rate('audit_chunked'),
    ratio('chunked_ratio_vs_pino', medians['audit_chunked'], pino),
    rate('audit_pipeline_emit_only'),
    details,
    {
      samples_records_per_s: Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, v.map((x) => round(x))]),
      ),
      loadavg_1m_end: loadAverage1m(),
    },
  );
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
