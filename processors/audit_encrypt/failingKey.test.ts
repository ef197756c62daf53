/**
 * audit_encrypt in a pipeline when one new subject's key entry cannot be written: only the batches
 * holding that subject's records fail (retryable); the others reach the exporter.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogsExporter } from '../../src/pipeline/factories.ts';
import { isRetryable } from '../../src/pipeline/consumer.ts';
import { PipelineConsumer } from '../../src/pipeline/PipelineConsumer.ts';
import { decryptValue, parseEncryptedValue } from '../../src/privacy/encryptedValue.ts';
import { entryPath } from '../../src/privacy/internal/keyStoreFormat.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { startedWithStore } from './testing/startedWithStore.ts';

const tmp = makeTempDir('otel-audit-encrypt-failing-key-');
afterAll(() => tmp.cleanup());
const master = randomBytes(32).toString('base64');

const record = (subject: string): AuditRecord =>
  createAuditRecord({ body: `visit of ${subject}`, attributes: [{ key: 'user.id', value: subject }] });

async function outcome(p: Promise<void>): Promise<unknown> {
  try {
    await p;
    return 'stored';
  } catch (error) {
    return error;
  }
}

describe('audit_encrypt: a new key whose entry cannot be written', () => {
  it("fails the batches holding its subject's records (retryable), not the others; once it can be written, they go through", async () => {
    const directory = path.join(tmp.dir, 'keys');
    const { p, settings, store } = await startedWithStore(directory, master);
    const stored: AuditRecord[] = [];
    const exporter: LogsExporter = {
      start: async () => undefined,
      shutdown: async () => undefined,
      consumeLogs: async (batch) => void stored.push(...batch.records),
    };
    const consumer = new PipelineConsumer('logs', [p], [exporter]);
    const shardOf = (s: string): string => path.dirname(entryPath(directory, store.subjectRef(s)));
    const others = Array.from({ length: 40 }, (_, i) => `other-${i}`).filter(
      (s) => shardOf(s) !== shardOf('xia'),
    );
    writeFileSync(shardOf('xia'), 'not a directory'); // its entries cannot be written there

    const first = await outcome(consumer.consumeLogs({ records: [record('xia')] }));
    expect(isRetryable(first)).toBe(true);
    expect(
      settings.logger.lines.filter((l) => l.startsWith('error:') && l.includes('could not be written')),
    ).toHaveLength(1);
    await outcome(consumer.consumeLogs({ records: [record('xia')] })); // the retry: refused (starts a flush)
    // That flush has settled (waited for, not timed: a busy thread pool can take longer than any delay),
    // and the turn after it.
    await p.flushBeforeExport?.()?.catch(() => undefined);
    await delay(1);
    for (const s of others.slice(0, 3))
      expect(await outcome(consumer.consumeLogs({ records: [record(s)] }))).toBe('stored');
    const mixed = await outcome(
      consumer.consumeLogs({ records: [record(others[3] as string), record('xia')] }),
    );
    expect(isRetryable(mixed)).toBe(true);
    expect(stored.map((r) => r.attributes[0]?.value)).toEqual(others.slice(0, 3));

    rmSync(shardOf('xia')); // the disk is repaired
    let last: unknown;
    for (let i = 0; i < 10 && last !== 'stored'; i++) {
      last = await outcome(consumer.consumeLogs({ records: [record('xia')] }));
      if (last !== 'stored') {
        // Waits for the flush that refusal started (not a timed delay: a slow disk or a busy thread pool
        // takes longer than any fixed one), then the turn after it.
        await p.flushBeforeExport?.()?.catch(() => undefined);
        await delay(1);
      }
    }
    expect(last).toBe('stored');
    const xia = stored.at(-1) as AuditRecord;
    const parsed = parseEncryptedValue(String(xia.body));
    const key = parsed && store.keyById(parsed.keyId);
    expect(
      parsed && key && decryptValue(parsed, key.key, { path: ['body'], timeUnixNano: xia.timeUnixNano }),
    ).toBe('visit of xia');
    await p.shutdown?.();
  });
});
