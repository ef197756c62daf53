/**
 * The privacy benchmark's first-seen-subjects contender: `audit_encrypt` (its
 * example configuration: the whole body under the `user.id` subject's key) in
 * process with the `audit_wal` exporter, where one record in
 * `NEW_SUBJECT_EVERY` carries a data subject never seen before (in this key
 * store), so its key is created, wrapped, linked into the key store and made
 * durable before the record reaches the WAL. The other records use the pool
 * events' subjects, whose keys the caller created beforehand (`warm`).
 *
 * Reported: records/s (emits, yielding every `CHUNK_RECORDS`, then
 * `forceFlush`) and the MAIN THREAD's CPU time per record
 * (`process.threadCpuUsage`, user + system over the same span: what the
 * application's thread pays; the thread pool's fsyncs are not in it). The same
 * run with no new subject gives the per-new-subject extra cost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { LogRecord } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { EXAMPLE_KEY_BASE64 } from '../../src/privacy/keyConfig.ts';
import { createAuditLogging } from '../../src/inprocess/createAuditLogging.ts';
import type { ComponentLogger } from '../../src/pipeline/factories.ts';
import { toSdkLogRecord, type AuditEvent } from './auditEvents.ts';
import { msSince } from './stats.ts';

/** One record in this many has a subject never seen before. */
export const NEW_SUBJECT_EVERY = 10;
const CHUNK_RECORDS = 1000;
const KEY_STORE_DIR = 'otel-audit-keys-new-subjects';

export interface NewSubjectsResult {
  readonly recordsPerSecond: number;
  /** Main-thread CPU (user + system) per record, µs. */
  readonly cpuUsPerRecord: number;
  readonly newSubjects: number;
}

function config(walDir: string): Record<string, unknown> {
  return {
    receivers: { audit_sdk: null },
    processors: {
      'audit_encrypt/new_subjects': {
        body: true,
        key_store: { directory: KEY_STORE_DIR, master_keys: [{ value: EXAMPLE_KEY_BASE64 }] },
      },
    },
    exporters: { audit_wal: { directory: walDir } },
    service: {
      pipelines: {
        logs: {
          receivers: ['audit_sdk'],
          processors: ['audit_encrypt/new_subjects'],
          exporters: ['audit_wal'],
        },
      },
    },
  };
}

/**
 * The records of one run: the pool's, with `user.id` replaced on every `NEW_SUBJECT_EVERY`-th by a
 * subject unique to `tag` (built outside the timed span). `withNewSubjects` false: none replaced.
 */
export function newSubjectRecords(
  events: readonly AuditEvent[],
  records: number,
  tag: string,
  withNewSubjects: boolean,
): LogRecord[] {
  const pool = events.map(toSdkLogRecord);
  return Array.from({ length: records }, (_, i) => {
    const base = pool[i % pool.length] as LogRecord;
    if (!withNewSubjects || i % NEW_SUBJECT_EVERY !== 0) return base;
    return { ...base, attributes: { ...base.attributes, 'user.id': `new-${tag}-${i}` } };
  });
}

/** One run in `root` (the key store persists there across runs; the WAL is removed after). */
export async function runEncryptNewSubjects(o: {
  readonly root: string;
  readonly name: string;
  readonly records: readonly LogRecord[];
  readonly logger: ComponentLogger;
}): Promise<NewSubjectsResult> {
  const walDir = path.join(o.root, o.name);
  const audit = await createAuditLogging({ config: config(walDir), logger: o.logger, baseDir: o.root });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app' }),
    processors: audit.processors,
  });
  const logger = provider.getLogger('bench', '1.0.0');
  const n = o.records.length;
  const newSubjects = o.records.filter((r) => String(r.attributes?.['user.id']).startsWith('new-')).length;
  try {
    const cpu0 = process.threadCpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < n;) {
      const end = Math.min(n, i + CHUNK_RECORDS);
      for (; i < end; i++) logger.emit(o.records[i] as LogRecord);
      await yieldToEventLoop();
    }
    await audit.forceFlush();
    const elapsedMs = msSince(start);
    const cpu = process.threadCpuUsage(cpu0);
    const status = audit.wal.status();
    if (status.durableSeq < n)
      throw new Error(`${o.name}: ${status.durableSeq} records durable, expected ${n}`);
    return {
      recordsPerSecond: (n * 1000) / elapsedMs,
      cpuUsPerRecord: (cpu.user + cpu.system) / n,
      newSubjects,
    };
  } finally {
    await provider.shutdown();
    fs.rmSync(walDir, { recursive: true, force: true });
  }
}
