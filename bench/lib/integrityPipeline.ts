/**
 * One timed run of the Service pipeline for the integrity benchmark:
 * `[audit_wal]` (plain) or `[audit_chain, audit_sign, audit_wal]` (chained,
 * checkpoints signed with Ed25519), durable (`sync_policy: fdatasync`), fed
 * through `service.pipelines.get('logs').consumeLogs` with batches of
 * `batchRecords` from `callers` concurrent callers, each awaiting its batch
 * before taking the next (so up to `callers` batches share a WAL commit).
 * Records are built before the clock starts; the time runs until every
 * batch is acknowledged (durable). The WAL is checked afterwards: every
 * record is there, and the chained one verifies with the public key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../config/resolve.ts';
import { verifyWal } from '../../src/integrity/verify/verifyWal.ts';
import type { KeyRing } from '../../src/integrity/sign/KeyRing.ts';
import type { ComponentLogger } from '../../src/pipeline/factories.ts';
import { createFactoryRegistry } from '../../src/pipeline/registry.ts';
import { Service } from '../../src/pipeline/Service.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { msSince } from './stats.ts';
import { WindowProfiler } from './windowProfiler.ts';

export interface PipelineRunOptions {
  readonly dir: string;
  readonly chained: boolean;
  readonly privateKeyFile: string;
  readonly records: readonly AuditRecord[];
  readonly batchRecords: number;
  readonly callers: number;
  readonly checkpointEveryRecords: number;
  readonly logger: ComponentLogger;
  /** Checked after the run (chained runs only). */
  readonly keys: KeyRing;
  /** Write a CPU profile of the timed window here. */
  readonly profileFile?: string;
}

export interface PipelineRun {
  readonly recordsPerSecond: number;
  /**
   * CPU time of the timed window per record: the whole process (all threads, user + system, so the
   * WAL's fdatasync calls too) and the main thread alone (where the pipeline and the chain run). On a
   * shared machine these are far steadier than records/s.
   */
  readonly cpuMicrosPerRecord: number;
  readonly mainThreadCpuMicrosPerRecord: number;
  readonly checkpoints: number;
}

export async function runIntegrityPipeline(o: PipelineRunOptions): Promise<PipelineRun> {
  const registry = createFactoryRegistry();
  const processors = o.chained
    ? `processors:
  audit_chain: { stream_id: bench, checkpoint_every_records: ${o.checkpointEveryRecords} }
  audit_sign: { algorithm: EdDSA, key_source: { type: file, file: { private_key: ${JSON.stringify(o.privateKeyFile)} } } }
`
    : '';
  const config = resolveConfig(
    [
      {
        kind: 'yaml',
        text: `
receivers: { audit_sdk: }
${processors}exporters:
  audit_wal: { directory: ${JSON.stringify(o.dir)}, sync_policy: fdatasync }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [${o.chained ? 'audit_chain, audit_sign' : ''}], exporters: [audit_wal] }
`,
      },
    ],
    { catalog: registry.catalog },
  );
  const service = Service.build({ config, registry, logger: o.logger });
  await service.start();
  const pipeline = service.pipelines.get('logs');
  if (pipeline === undefined) throw new Error('no logs pipeline');
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < o.records.length) {
      const from = next;
      next = Math.min(o.records.length, from + o.batchRecords);
      await pipeline.consumeLogs({ records: o.records.slice(from, next) as AuditRecord[] });
    }
  };
  const profiler = o.profileFile === undefined ? undefined : new WindowProfiler();
  profiler?.start();
  const cpuStart = process.cpuUsage();
  const mainCpuStart = process.threadCpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: o.callers }, caller));
  const elapsedMs = msSince(start);
  const cpu = process.cpuUsage(cpuStart);
  const mainCpu = process.threadCpuUsage(mainCpuStart);
  if (o.profileFile !== undefined) await profiler?.stop(o.profileFile);
  await service.shutdown();
  try {
    const report = verifyWal({ dir: o.dir, ...(o.chained ? { keys: o.keys } : {}) });
    const expected = o.records.length;
    if (report.records !== expected)
      throw new Error(`${report.records} records in the WAL, expected ${expected}`);
    if (o.chained && !report.ok)
      throw new Error(`the chained WAL does not verify: ${report.firstIssue?.message}`);
    return {
      recordsPerSecond: (expected * 1000) / elapsedMs,
      cpuMicrosPerRecord: (cpu.user + cpu.system) / expected,
      mainThreadCpuMicrosPerRecord: (mainCpu.user + mainCpu.system) / expected,
      checkpoints: report.streams[0]?.checkpoints ?? 0,
    };
  } finally {
    fs.rmSync(path.resolve(o.dir), { recursive: true, force: true });
  }
}
