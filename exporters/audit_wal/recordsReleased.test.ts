/**
 * While a batch's commit is in flight, nothing in the pipeline holds its records: the audit_wal exporter
 * has framed them (the frames are copies), and what waits for the commit (PipelineConsumer.settle,
 * AuditWalExporter.commitFrames) holds counts and frames only. Held until the commit, a request's decoded
 * records survived young-generation GCs and were copied (bench:receiver's durable path).
 * The commit is held back by `commit_delay_ms`; the GC is run by hand (`--expose-gc` set at run time).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { startService, type RunningService } from '../../test/helpers/startService.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The pipeline audit_sdk → [processors] → audit_wal (commits held back 3 s), started. */
function started(walDir: string, processors: string): Promise<RunningService> {
  return startService(`
receivers: { audit_sdk: }
processors:
  attributes: { actions: [{ key: added, value: x, action: insert }] }
exporters:
  audit_wal: { directory: ${JSON.stringify(walDir)}, commit_delay_ms: 3000 }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [${processors}], exporters: [audit_wal] }
`);
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('records are not held while their commit is in flight', () => {
  for (const processors of ['', 'attributes']) {
    it(`pipeline [${processors || 'no processor'}] → audit_wal: collectable before the commit`, async () => {
      const tmp = makeTempDir('otel-audit-released-');
      cleanups.push(tmp.cleanup);
      const { service, stop } = await started(`${tmp.dir}/wal`, processors);
      try {
        const pipeline = service.pipelines.get('logs');
        if (pipeline === undefined) throw new Error('no logs pipeline');
        let collected = 0;
        const registry = new FinalizationRegistry<number>(() => void collected++);
        const records = (): AuditRecord[] => {
          const out = Array.from({ length: 64 }, (_, i) =>
            createAuditRecord({ body: `record ${i}`, timeUnixNano: 1n }),
          );
          for (const r of out) registry.register(r, 0);
          return out;
        };
        let settled = false;
        const done = pipeline.consumeLogs({ records: records() }).then(() => void (settled = true));
        for (let i = 0; i < 10 && collected < 64; i++) {
          gc();
          await tick();
        }
        expect(settled).toBe(false); // the commit is still waiting (commit_delay_ms)
        expect(collected).toBe(64);
        await done;
      } finally {
        await stop();
      }
    });
  }
});
