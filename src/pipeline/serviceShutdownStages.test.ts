/**
 * `Service.shutdown(deadlineMs)`: each stage has a share of the deadline and is waited for only until its
 * share ends, so that a processor whose shutdown hangs (e.g. `audit_encrypt` waiting for a key flush on a
 * hung disk) cannot keep the `audit_wal` exporter from sealing and closing the WAL. Before, processors were
 * given all the time left and waited for however long they took: the exporters got the 1 s minimum past
 * the deadline, or, if a processor never finished, were never shut down (the WAL left unsealed and locked).
 */
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../config/resolve.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { decodeRecord } from '../record/walCodec.ts';
import { segmentFiles, unsealedSegments } from '../wal/testutil/sealedSegments.ts';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Wal } from '../wal/Wal.ts';
import { createFactoryRegistry } from './registry.ts';
import { Service } from './Service.ts';

const tmp = makeTempDir('otel-audit-shutdown-stages-');
afterAll(() => tmp.cleanup());
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** audit_sdk receiver -> batch processor -> audit_wal exporter writing under `walDir`. */
function buildService(walDir: string): Service {
  const registry = createFactoryRegistry();
  const config = resolveConfig(
    [
      {
        kind: 'yaml',
        text: `
receivers: { audit_sdk: }
processors: { batch: }
exporters: { audit_wal: { directory: ${JSON.stringify(walDir)} } }
service: { pipelines: { logs: { receivers: [audit_sdk], processors: [batch], exporters: [audit_wal] } } }
`,
      },
    ],
    { catalog: registry.catalog },
  );
  return Service.build({ config, registry, logger: quiet });
}

/** Whether every segment file of the WAL at `dir` ends with a trailer (sealed), and how many there are. */
function segmentsSealed(dir: string): { segments: number; unsealed: string[] } {
  return { segments: segmentFiles(dir).length, unsealed: unsealedSegments(dir) };
}

describe('Service.shutdown: a processor whose shutdown never ends', () => {
  it('the audit_wal exporter still seals and closes the WAL before the deadline; the shutdown names the processor', async () => {
    const walDir = path.join(tmp.dir, 'hung-processor');
    const service = buildService(walDir);
    const processor = service.processors.get('batch');
    const exporter = service.exporters.get('audit_wal');
    if (processor === undefined || exporter === undefined) throw new Error('no processor or exporter');
    const processorGot: number[] = [];
    processor.shutdown = (ms?: number) => (processorGot.push(ms ?? NaN), new Promise<void>(() => undefined));
    let exporterDoneAfterMs: number | undefined;
    const closeWal = exporter.shutdown.bind(exporter);
    exporter.shutdown = async (ms) => {
      await closeWal(ms);
      exporterDoneAfterMs = Date.now() - t0;
    };
    await service.start();
    await service.pipelines.get('logs')?.consumeLogs({ records: [createAuditRecord({ body: 'acked' })] });

    const deadlineMs = 5_000;
    const t0 = Date.now();
    const outcome = await service.shutdown(deadlineMs).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    const tookMs = Date.now() - t0;

    // Old code: the processors' stage was waited for forever; SHUTDOWN_TIMEOUT came at 10 s (5 s after the
    // deadline) with the exporter never told to shut down: the WAL unsealed and locked.
    expect(outcome?.code).toBe('SHUTDOWN_TIMEOUT');
    expect(outcome?.message).toContain('processors::batch');
    expect(outcome?.message).not.toContain('exporters::');
    expect(exporterDoneAfterMs).toBeDefined();
    expect(exporterDoneAfterMs).toBeLessThan(deadlineMs);
    expect(tookMs).toBeLessThan(deadlineMs);
    expect(segmentsSealed(walDir)).toEqual({ segments: 1, unsealed: [] });
    const { report, reader } = openWalReadOnly({ dir: walDir, verify: 'full' });
    expect(report.corruptions).toEqual([]);
    expect([...reader.records()].map((r) => decodeRecord(r.payload).body)).toEqual(['acked']);
    const wal = Wal.open({ dir: walDir }); // the lock was released: a new writer opens it at once
    expect(wal.status().firstSeq).toBe(1);
    await wal.close();
    // Its share: until 80% of the way to the deadline (old code: all of it).
    expect(processorGot).toHaveLength(1);
    expect(processorGot[0]).toBeLessThanOrEqual(0.8 * deadlineMs);
  }, 15_000);
});

describe('Service.shutdown: the exporters keep a share of the deadline', () => {
  /** The service with every component's start and shutdown replaced: nothing real runs. */
  function recordingService(name: string): {
    service: Service;
    shutdowns: { processor: number[]; exporter: number[] };
  } {
    const service = buildService(path.join(tmp.dir, name));
    const shutdowns = { processor: [] as number[], exporter: [] as number[] };
    const receiver = [...service.receivers.values()][0];
    const processor = service.processors.get('batch');
    const exporter = service.exporters.get('audit_wal');
    if (receiver === undefined || processor === undefined || exporter === undefined)
      throw new Error('no receiver, processor or exporter');
    receiver.start = () => Promise.resolve();
    receiver.shutdown = () => Promise.resolve();
    exporter.start = () => Promise.resolve();
    exporter.shutdown = (ms) => (shutdowns.exporter.push(ms ?? NaN), Promise.resolve());
    // The processor takes the whole of the budget it is given (a key flush on a hung disk, bounded by it).
    processor.shutdown = (ms?: number) => (
      shutdowns.processor.push(ms ?? NaN),
      new Promise<void>((resolve) => setTimeout(resolve, ms ?? 0))
    );
    return { service, shutdowns };
  }

  it('a processor that uses all of its budget gets 80% of the time; the exporters the rest, not the 1 s minimum past the deadline', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    try {
      const { service, shutdowns } = recordingService('shares');
      await service.start();
      const t0 = Date.now();
      const tookMs = service.shutdown(10_000).then(() => Date.now() - t0);
      await vi.advanceTimersByTimeAsync(10_000);
      // Old code: processor [10_000] (all of the time left), exporter [1_000] (the minimum, past the deadline).
      expect(shutdowns.processor).toEqual([8_000]);
      expect(shutdowns.exporter).toEqual([2_000]);
      expect(await tookMs).toBe(8_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an earlier deadline asked for while processors shut down: they are told their new share, the exporters keep theirs', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    try {
      const { service, shutdowns } = recordingService('shares-tightened');
      await service.start();
      const stopped = service.shutdown(30_000); // the processor is told 24 s (80%) and takes them
      await vi.advanceTimersByTimeAsync(1_000);
      void service.shutdown(9_000); // ends 10 s after the first call: processors' share until 8 s
      await vi.advanceTimersByTimeAsync(0);
      // Old code: [30_000, 9_000], and the stage waited for the first call's 30 s.
      expect(shutdowns.processor).toEqual([24_000, 7_000]);
      // The first call's 24 s are not waited out: the stage is cut at its new end (and a 50 ms grace).
      await vi.advanceTimersByTimeAsync(7_000 + 50);
      await expect(stopped).rejects.toMatchObject({
        code: 'SHUTDOWN_TIMEOUT',
        message: expect.stringContaining('processors::batch') as unknown,
      });
      // What is left until the (new) deadline: 10 s - 8.05 s. Old code: none (SHUTDOWN_TIMEOUT at 15 s).
      expect(shutdowns.exporter).toEqual([1_950]);
    } finally {
      vi.useRealTimers();
    }
  });
});
