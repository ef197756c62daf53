/**
 * SdkWalWriter with several audit_wal exporters (real WALs in temp dirs): when one refuses a whole batch
 * permanently, the batch is retried record by record only where it was refused — the WALs that stored it
 * must not store every record a second time.
 */
import type { ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import { createDefaultAuditWalConfig } from '../../exporters/audit_wal/config.ts';
import { PermanentError, type LogBatch } from '../pipeline/consumer.ts';
import type { LogsExporter } from '../pipeline/factories.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';
import { SdkWalWriter } from './SdkWalWriter.ts';
import { storedRecords } from './testutil/config.ts';

const silent = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };
const tempDir = tempDirsRemovedAfterEach('otel-audit-');

async function walExporter(
  id: string,
  payloadBytesMax?: number,
): Promise<{ dir: string; e: AuditWalExporter }> {
  const dir = tempDir();
  const config = {
    ...createDefaultAuditWalConfig(),
    directory: dir,
    segment_bytes_max: 65536,
    queue_bytes_max: 65536,
    payload_bytes_max: payloadBytesMax ?? 4096,
  };
  const e = new AuditWalExporter({ id, baseDir: '/', logger: silent }, config);
  await e.start();
  return { dir, e };
}

/** A real audit_wal exporter behind a gate that refuses every batch of several records permanently. */
function refusingBatches(e: AuditWalExporter): LogsExporter {
  return {
    consumeLogs: (batch: LogBatch) =>
      batch.records.length > 1 ? Promise.reject(new PermanentError('batches refused')) : e.consumeLogs(batch),
    start: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  } as unknown as LogsExporter;
}

function writerOver(exporters: readonly LogsExporter[]): SdkWalWriter {
  return new SdkWalWriter({
    exporters,
    strictWal: undefined,
    dropped: new WeakSet<ReadWriteLogRecord>(),
    onFailure: 'callback',
    failureHandler: () => undefined,
    shutdown: () => Promise.resolve(),
  });
}

const bodies = (dir: string): string[] => storedRecords(dir).map((r) => String(r.body));

describe('SdkWalWriter: one audit_wal refuses the whole batch, another stores it', () => {
  it('each WAL holds each record exactly once', async () => {
    const first = await walExporter('audit_wal/first');
    const second = await walExporter('audit_wal/second');
    const writer = writerOver([first.e, refusingBatches(second.e)]);
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((body) => writer.write(createAuditRecord({ body }))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    await first.e.shutdown();
    await second.e.shutdown();
    expect(bodies(first.dir)).toEqual(['a', 'b', 'c']);
    expect(bodies(second.dir).sort()).toEqual(['a', 'b', 'c']);
  });

  it('a record another WAL refused alone is not resent: it fails, and is stored nowhere else', async () => {
    const small = await walExporter('audit_wal/small', 400); // refuses the 500-byte record on its own
    const second = await walExporter('audit_wal/second');
    const writer = writerOver([small.e, refusingBatches(second.e)]);
    const big = 'b'.padEnd(500, 'b');
    const outcomes = await Promise.allSettled(
      ['a', big, 'c'].map((body) => writer.write(createAuditRecord({ body }))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await small.e.shutdown();
    await second.e.shutdown();
    expect(bodies(small.dir)).toEqual(['a', 'c']);
    expect(bodies(second.dir).sort()).toEqual(['a', 'c']);
  });
});
