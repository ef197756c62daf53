/**
 * Privacy benchmark: what masking costs, alone and in the full audit chain,
 * compared in the same run with pino's non-durable rate.
 *
 *   npm run bench:privacy     # prints ONE JSON line on stdout (progress on stderr)
 *
 * Contenders (all over the same 1,024 pre-built audit events with personal
 * data, bench/lib/piiEvents.ts: every record has an IP in its body and a
 * `source.ip` attribute; a quarter an e-mail attribute; some a card number,
 * a phone number or a bearer token):
 * - `mask`: the `audit_mask` processor (default configuration) alone,
 *   `process()` on fresh `AuditRecord`s (the collector path), in a tight loop;
 * - `pseudonymize`, `encrypt`: `audit_pseudonymize` and `audit_encrypt` alone
 *   the same way, each with the configuration the chain uses (below); the
 *   encrypt key store is the chain's, its subjects' keys created in the
 *   warm-up;
 * - `chain`: in process, `createAuditLogging` with the processors
 *   `audit_mask`, `audit_pseudonymize`, `audit_encrypt` (each only when this
 *   build registers it and can create it from its default configuration laid
 *   under its `exampleConfig()` — `chain_processors` / `chain_configs` in the
 *   output say what ran; key material is left out), `audit_chain`, and the
 *   `audit_wal` exporter (default fdatasync group commit), relative paths in a
 *   temp dir: N `logger.emit()` then `await forceFlush()`, N / elapsed;
 *   `chain_chunked` yields to the event loop every 1,000 emits;
 * - `wal_chain`: the same pipeline without the privacy processors (what they add);
 * - `pino`: bench/lib/pinoBaseline.ts, pino to a file with `sync: true`;
 * - `encrypt_new_subjects` (bench/lib/privacyNewSubjects.ts): `audit_encrypt`
 *   alone (body under the `user.id` subject's key) in process with
 *   `audit_wal`, where 1 record in 10 (`encrypt_new_subject_share`) carries a
 *   data subject never seen before, so its key is created, wrapped, linked
 *   into the key store and made durable before the record reaches the WAL;
 *   PRIVACY_BENCH_NEW_SUBJECT_RECORDS emits yielding every 1,000, then
 *   `forceFlush`: records/s and the MAIN THREAD's CPU-µs per record
 *   (`process.threadCpuUsage`, user + system; the thread pool's fsyncs are
 *   not in it). `encrypt_known_subjects` is the same run with no new subject;
 *   `encrypt_new_subject_extra_cpu_us` = (new − known) CPU-µs per record × 10:
 *   the main thread's cost of one new subject.
 * One unmeasured warm-up, then PRIVACY_BENCH_ROUNDS rounds (default 3) of all
 * contenders in turn; figures are medians. Goal: chain >= 0.25 × pino.
 *
 * Knobs: PRIVACY_BENCH_RECORDS (default 100000), PRIVACY_BENCH_MASK_RECORDS
 * (200000), PRIVACY_BENCH_ROUNDS (3), PRIVACY_BENCH_NEW_SUBJECT_RECORDS (20000).
 * With any set the output has `"variant": true`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { LogRecord } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { auditMaskConfigSchema, createDefaultAuditMaskConfig } from '../processors/audit_mask/config.ts';
import { auditMaskProcessorFactory } from '../processors/audit_mask/factory.ts';
import { createAuditLogging } from '../src/inprocess/createAuditLogging.ts';
import { mergeWithDefaults } from '../config/internal/merge.ts';
import type { ComponentLogger } from '../src/pipeline/factories.ts';
import type { RecordProcessor } from '../src/pipeline/RecordProcessor.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { auditRecordView } from '../src/record/AuditRecordView.ts';
import { decodeRecord } from '../src/record/walCodec.ts';
import { FrameType } from '../src/wal/format.ts';
import { describeEvents, toSdkLogRecord, type AuditEvent } from './lib/auditEvents.ts';
import { describeFileSystem } from './lib/fsInfo.ts';
import { measurePinoRecordsPerSecond } from './lib/pinoBaseline.ts';
import { piiEvents, toAuditRecord } from './lib/piiEvents.ts';
import { NEW_SUBJECT_EVERY, newSubjectRecords, runEncryptNewSubjects } from './lib/privacyNewSubjects.ts';
import { msSince, round } from './lib/stats.ts';

const RECORDS = Number(process.env['PRIVACY_BENCH_RECORDS'] ?? '100000');
const MASK_RECORDS = Number(process.env['PRIVACY_BENCH_MASK_RECORDS'] ?? '200000');
const ROUNDS = Number(process.env['PRIVACY_BENCH_ROUNDS'] ?? '3');
const NEW_SUBJECT_RECORDS = Number(process.env['PRIVACY_BENCH_NEW_SUBJECT_RECORDS'] ?? '20000');
const IS_VARIANT = [
  'PRIVACY_BENCH_RECORDS',
  'PRIVACY_BENCH_MASK_RECORDS',
  'PRIVACY_BENCH_ROUNDS',
  'PRIVACY_BENCH_NEW_SUBJECT_RECORDS',
].some((k) => process.env[k] !== undefined);
const WARMUP_RECORDS = 20_000;
const DISTINCT_EVENTS = 1024;
const CHUNK_RECORDS = 1000;
const PINO_LINE_BYTES = 256;
const GOAL_RATIO_VS_PINO = 0.25;
const MASK_BATCH = 50_000;
const PRIVACY_TYPES = ['audit_mask', 'audit_pseudonymize', 'audit_encrypt'] as const;

const log = (msg: string): void => void process.stderr.write(`[bench:privacy] ${msg}\n`);
const quietLogger: ComponentLogger = { info: () => undefined, warn: log, error: log };

const events = piiEvents(DISTINCT_EVENTS);
const sdkRecords: LogRecord[] = events.map(toSdkLogRecord);
const resource = resourceFromAttributes({ 'service.name': 'bench-app', 'service.version': '1.0.0' });

// ------------------------------------------------------------------ mask alone

function runMaskAlone(records: number): { recordsPerSecond: number; maskedShare: number } {
  const processor = auditMaskProcessorFactory.create(
    { id: 'audit_mask/bench', baseDir: '.', logger: quietLogger },
    auditMaskConfigSchema.parse(createDefaultAuditMaskConfig()),
  );
  let elapsedMs = 0;
  let masked = 0;
  for (let done = 0; done < records;) {
    const n = Math.min(MASK_BATCH, records - done);
    const batch = Array.from({ length: n }, (_, i) =>
      toAuditRecord(events[(done + i) % events.length] as AuditEvent),
    );
    const start = process.hrtime.bigint();
    for (const record of batch) processor.process(auditRecordView(record));
    elapsedMs += msSince(start);
    for (const record of batch) if (record.attributes.some((a) => a.key === 'audit.mask.count')) masked++;
    done += n;
  }
  return { recordsPerSecond: (records * 1000) / elapsedMs, maskedShare: masked / records };
}

/** Records per second of `processor.process()` alone, on fresh `AuditRecord`s. */
function runAlone(processor: RecordProcessor, records: number): number {
  let elapsedMs = 0;
  for (let done = 0; done < records;) {
    const n = Math.min(MASK_BATCH, records - done);
    const batch = Array.from({ length: n }, (_, i) =>
      auditRecordView(toAuditRecord(events[(done + i) % events.length] as AuditEvent)),
    );
    const start = process.hrtime.bigint();
    for (const view of batch) processor.process(view);
    elapsedMs += msSince(start);
    done += n;
  }
  return (records * 1000) / elapsedMs;
}

/** The chain's privacy processors other than audit_mask, created and started alone. */
async function aloneProcessors(root: string, plan: ChainPlan): Promise<Map<string, RecordProcessor>> {
  const registry = createFactoryRegistry();
  const out = new Map<string, RecordProcessor>();
  for (const type of ['audit_pseudonymize', 'audit_encrypt'] as const) {
    const config = plan.processors[`${type}/bench`];
    const factory = registry.find('processor', type);
    if (config === undefined || factory?.kind !== 'processor') continue;
    const processor = factory.create(
      { id: `${type}/alone`, baseDir: root, logger: quietLogger },
      factory.configSchema.parse(config),
    );
    await processor.start?.();
    out.set(type, processor);
  }
  return out;
}

// ------------------------------------------------------------------ the chain

interface ChainPlan {
  readonly processors: Record<string, unknown>;
  readonly order: string[];
  readonly skipped: Record<string, string>;
}

/** The privacy processors this build registers, with a configuration each can be created from. */
function planChain(withPrivacy: boolean): ChainPlan {
  const registry = createFactoryRegistry();
  const processors: Record<string, unknown> = {};
  const order: string[] = [];
  const skipped: Record<string, string> = {};
  for (const type of withPrivacy ? PRIVACY_TYPES : []) {
    const factory = registry.find('processor', type);
    if (factory === undefined) {
      skipped[type] = 'not registered';
      continue;
    }
    const config = factory.exampleConfig
      ? mergeWithDefaults(factory.createDefaultConfig(), factory.exampleConfig())
      : factory.createDefaultConfig();
    processors[`${type}/bench`] = config;
    order.push(`${type}/bench`);
  }
  processors['audit_chain'] = {};
  order.push('audit_chain');
  return { processors, order, skipped };
}

function pipelineConfig(dir: string, plan: ChainPlan): Record<string, unknown> {
  return {
    receivers: { audit_sdk: null },
    processors: plan.processors,
    exporters: { audit_wal: { directory: dir } },
    service: {
      pipelines: { logs: { receivers: ['audit_sdk'], processors: plan.order, exporters: ['audit_wal'] } },
    },
  };
}

/** Drops a privacy processor that cannot be created with its default/example configuration (e.g. a key is needed). */
async function usablePlan(root: string, plan: ChainPlan): Promise<ChainPlan> {
  for (;;) {
    const dir = path.join(root, 'probe');
    try {
      const audit = await createAuditLogging({
        config: pipelineConfig(dir, plan),
        logger: quietLogger,
        baseDir: root,
      });
      await audit.shutdown();
      return plan;
    } catch (err) {
      const culprit = plan.order.find(
        (id) => id !== 'audit_chain' && String(err).includes(id.split('/')[0] ?? id),
      );
      if (culprit === undefined) throw err;
      log(`${culprit} cannot be created with its default configuration, left out: ${String(err)}`);
      const { [culprit]: _removed, ...rest } = plan.processors;
      plan = {
        processors: rest,
        order: plan.order.filter((id) => id !== culprit),
        skipped: { ...plan.skipped, [culprit.split('/')[0] ?? culprit]: `not creatable: ${String(err)}` },
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function runChain(o: {
  root: string;
  name: string;
  plan: ChainPlan;
  records: number;
  chunked: boolean;
}): Promise<{ recordsPerSecond: number; emitRecordsPerSecond: number; maskedFirst: boolean }> {
  const dir = path.join(o.root, o.name);
  const audit = await createAuditLogging({
    config: pipelineConfig(dir, o.plan),
    logger: quietLogger,
    baseDir: o.root, // relative paths of the processors' example configs (a key store) stay in the temp dir
  });
  const provider = new LoggerProvider({ resource, processors: audit.processors });
  const logger = provider.getLogger('bench', '1.0.0');
  const n = sdkRecords.length;
  try {
    const start = process.hrtime.bigint();
    for (let i = 0; i < o.records;) {
      const end = o.chunked ? Math.min(o.records, i + CHUNK_RECORDS) : o.records;
      for (; i < end; i++) logger.emit(sdkRecords[i % n] as LogRecord);
      if (o.chunked) await yieldToEventLoop();
    }
    const emitMs = msSince(start);
    await audit.forceFlush();
    const elapsedMs = msSince(start);
    const status = audit.wal.status();
    if (status.durableSeq < o.records)
      throw new Error(`${o.name}: ${status.durableSeq} records durable, expected ${o.records}`);
    const first = [...audit.wal.read({ fromSeq: 1, toSeq: 16 })]
      .filter((e) => e.type === FrameType.RECORD) // checkpoints are frames too
      .map((e) => decodeRecord(e.payload));
    const maskedFirst = first.some((r) => r.attributes.some((a) => a.key === 'audit.mask.count'));
    return {
      recordsPerSecond: (o.records * 1000) / elapsedMs,
      emitRecordsPerSecond: (o.records * 1000) / emitMs,
      maskedFirst,
    };
  } finally {
    await provider.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const loadAverage1m = (): number => round(os.loadavg()[0] ?? 0, 2);

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-bench-privacy-'));
  const samples: Record<string, number[]> = {};
  const sample = (key: string, value: number): void => void (samples[key] ??= []).push(value);
  const out: Record<string, unknown> = {
    bench: 'privacy',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    loadavg_1m_start: loadAverage1m(),
    fs: describeFileSystem(root),
    records: RECORDS,
    mask_records: MASK_RECORDS,
    rounds: ROUNDS,
    record_shape: describeEvents(events),
    ...(IS_VARIANT ? { variant: true } : {}),
  };
  let maskedShare = 0;
  let alone = new Map<string, RecordProcessor>();
  try {
    const chain = await usablePlan(root, planChain(true));
    const walChain = planChain(false);
    out['chain_processors'] = [...chain.order, 'audit_wal'];
    out['chain_configs'] = JSON.parse(
      JSON.stringify({ ...chain.processors, 'audit_mask/bench': 'default' }, (key, value: unknown) =>
        key === 'value' ? '<key material>' : value,
      ),
    ) as unknown;
    out['skipped_processors'] = chain.skipped;
    log(`chain: ${[...chain.order, 'audit_wal'].join(' -> ')}`);

    alone = await aloneProcessors(root, chain);
    log(`warm-up (${WARMUP_RECORDS} records each)`);
    runMaskAlone(WARMUP_RECORDS);
    for (const processor of alone.values()) runAlone(processor, WARMUP_RECORDS);
    await runChain({ root, name: 'warm', plan: chain, records: WARMUP_RECORDS, chunked: false });
    await measurePinoRecordsPerSecond({ dir: root, records: WARMUP_RECORDS, lineBytes: PINO_LINE_BYTES });
    // Also creates the keys of the pool's subjects: the known subjects of the runs below.
    await runEncryptNewSubjects({
      root,
      name: 'new-subjects-warm',
      records: newSubjectRecords(events, WARMUP_RECORDS, 'warm', true),
      logger: quietLogger,
    });

    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      log(`round ${round_}/${ROUNDS}`);
      const pino = await measurePinoRecordsPerSecond({
        dir: root,
        records: RECORDS * 2,
        lineBytes: PINO_LINE_BYTES,
      });
      sample('pino', pino.recordsPerSecond);
      const mask = runMaskAlone(MASK_RECORDS);
      sample('mask', mask.recordsPerSecond);
      maskedShare = mask.maskedShare;
      for (const [type, processor] of alone) {
        sample(type.replace('audit_', ''), runAlone(processor, MASK_RECORDS));
      }
      const c = await runChain({
        root,
        name: `chain-${round_}`,
        plan: chain,
        records: RECORDS,
        chunked: false,
      });
      if (chain.order.includes('audit_mask/bench') && !c.maskedFirst)
        throw new Error('the chain did not mask');
      sample('chain', c.recordsPerSecond);
      sample('chain_emit_only', c.emitRecordsPerSecond);
      const chunked = await runChain({
        root,
        name: `chunked-${round_}`,
        plan: chain,
        records: RECORDS,
        chunked: true,
      });
      sample('chain_chunked', chunked.recordsPerSecond);
      const bare = await runChain({
        root,
        name: `wal-${round_}`,
        plan: walChain,
        records: RECORDS,
        chunked: false,
      });
      sample('wal_chain', bare.recordsPerSecond);
      for (const withNew of [false, true]) {
        const tag = `${withNew ? 'new' : 'known'}-${round_}`;
        const r = await runEncryptNewSubjects({
          root,
          name: `encrypt-${tag}`,
          records: newSubjectRecords(events, NEW_SUBJECT_RECORDS, tag, withNew),
          logger: quietLogger,
        });
        const key = withNew ? 'encrypt_new_subjects' : 'encrypt_known_subjects';
        sample(key, r.recordsPerSecond);
        sample(`${key}_cpu_us`, r.cpuUsPerRecord);
      }
    }
  } finally {
    for (const processor of alone.values()) await processor.shutdown?.();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const pino = m['pino'] ?? NaN;
  const ratio = (x: number | undefined) => round((x ?? NaN) / pino, 3);
  Object.assign(out, {
    mask_records_per_s: round(m['mask'] ?? NaN),
    pseudonymize_records_per_s: round(m['pseudonymize'] ?? NaN),
    encrypt_records_per_s: round(m['encrypt'] ?? NaN),
    mask_masked_record_share: round(maskedShare, 3),
    chain_records_per_s: round(m['chain'] ?? NaN),
    chain_chunked_records_per_s: round(m['chain_chunked'] ?? NaN),
    chain_emit_only_records_per_s: round(m['chain_emit_only'] ?? NaN),
    wal_chain_records_per_s: round(m['wal_chain'] ?? NaN),
    encrypt_new_subjects_records_per_s: round(m['encrypt_new_subjects'] ?? NaN),
    encrypt_new_subjects_cpu_us_per_record: round(m['encrypt_new_subjects_cpu_us'] ?? NaN, 2),
    encrypt_known_subjects_records_per_s: round(m['encrypt_known_subjects'] ?? NaN),
    encrypt_known_subjects_cpu_us_per_record: round(m['encrypt_known_subjects_cpu_us'] ?? NaN, 2),
    encrypt_new_subject_share: 1 / NEW_SUBJECT_EVERY,
    encrypt_new_subject_records: NEW_SUBJECT_RECORDS,
    encrypt_new_subject_extra_cpu_us: round(
      ((m['encrypt_new_subjects_cpu_us'] ?? NaN) - (m['encrypt_known_subjects_cpu_us'] ?? NaN)) *
        NEW_SUBJECT_EVERY,
      1,
    ),
    pino_records_per_s: round(pino),
    pino_line_bytes: PINO_LINE_BYTES,
    mask_ratio_vs_pino: ratio(m['mask']),
    ratio_vs_pino: ratio(m['chain']),
    chunked_ratio_vs_pino: ratio(m['chain_chunked']),
    wal_chain_ratio_vs_pino: ratio(m['wal_chain']),
    goal_ratio_vs_pino: GOAL_RATIO_VS_PINO,
    goal_met: ratio(m['chain']) >= GOAL_RATIO_VS_PINO,
    chunked_goal_met: ratio(m['chain_chunked']) >= GOAL_RATIO_VS_PINO,
    samples_records_per_s: Object.fromEntries(
      Object.entries(samples)
        .filter(([k]) => !k.endsWith('_cpu_us'))
        .map(([k, v]) => [k, v.map((x) => round(x))]),
    ),
    samples_cpu_us_per_record: Object.fromEntries(
      Object.entries(samples)
        .filter(([k]) => k.endsWith('_cpu_us'))
        .map(([k, v]) => [k, v.map((x) => round(x, 2))]),
    ),
    loadavg_1m_end: loadAverage1m(),
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
