import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';
import { createAuditLogging } from './createAuditLogging.ts';
import { BATCH_RECORDS_MAX } from './SdkWalWriter.ts';
import { inProcessConfig as configFor, storedRecords } from './testutil/config.ts';

const tempDir = tempDirsRemovedAfterEach('otel-audit-');

describe('in process: a producer that never yields', () => {
  it('when_queue_full block: emit commits synchronously at the bound, so the queue stays bounded and order is kept', async () => {
    const dir = tempDir();
    const queueRecordsMax = 2 * BATCH_RECORDS_MAX;
    const audit = await createAuditLogging({
      config: configFor(dir, `    queue_records_max: ${queueRecordsMax}`),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('tight');
    const n = 5 * queueRecordsMax;
    let queuedMax = 0;
    for (let i = 0; i < n; i++) {
      logger.emit({ body: `r${i}` });
      queuedMax = Math.max(queuedMax, audit.wal.status().queuedRecords);
    }
    // Without yielding once, most records are already durable and the WAL never held more than its bound.
    expect(queuedMax).toBeLessThanOrEqual(queueRecordsMax);
    expect(audit.wal.durableSeq).toBeGreaterThanOrEqual(n - queueRecordsMax);
    await audit.forceFlush();
    expect(audit.wal.durableSeq).toBe(n);
    await provider.shutdown();
    const bodies = storedRecords(dir).map((r) => r.body);
    expect(bodies).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it("when_queue_full block: the WAL's byte bound also triggers the synchronous commit (KiB records are not refused)", async () => {
    const dir = tempDir();
    // A batch of 1,024 records of ~1 KiB holds ~1.1 MiB: the record bound (16,384) is never reached
    // before the 4 MiB byte bound, and past it the WAL refused batches with WAL_QUEUE_FULL.
    const queueBytesMax = 4 * 1024 * 1024;
    const audit = await createAuditLogging({
      config: configFor(dir, `    queue_bytes_max: ${queueBytesMax}\n    payload_bytes_max: 65536`),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('tight');
    const n = 12 * BATCH_RECORDS_MAX;
    const pad = 'x'.repeat(1_000);
    let queuedBytesMax = 0;
    for (let i = 0; i < n; i++) {
      logger.emit({ body: `r${i} ${pad}` });
      queuedBytesMax = Math.max(queuedBytesMax, audit.wal.status().queuedBytes);
    }
    expect(queuedBytesMax).toBeLessThanOrEqual(queueBytesMax);
    await audit.forceFlush();
    expect(audit.wal.durableSeq).toBe(n);
    await provider.shutdown();
    const bodies = storedRecords(dir).map((r) => String(r.body).split(' ')[0]);
    expect(bodies).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it('when_queue_full reject: no synchronous commit (the WAL refuses past its bound, through on_failure)', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({
      config: configFor(dir, `    queue_records_max: ${2 * BATCH_RECORDS_MAX}\n    when_queue_full: reject`),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('tight');
    for (let i = 0; i < 4 * BATCH_RECORDS_MAX; i++) logger.emit({ body: `r${i}` });
    expect(audit.wal.durableSeq).toBe(0);
    await expect(audit.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    await provider.shutdown().catch(() => undefined);
  });
});
