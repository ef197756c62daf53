import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';
import { createAuditLogging } from './createAuditLogging.ts';
import {
  inProcessConfig as configFor,
  SMALL_PAYLOAD_WAL,
  storedRecords as stored,
} from './testutil/config.ts';

const tempDir = tempDirsRemovedAfterEach('otel-audit-');

describe('createAuditLogging (in-process path)', () => {
  it('makes records emitted through a LoggerProvider durable in the WAL, losslessly', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({ config: configFor(dir) });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'billing' }),
      processors: audit.processors,
    });
    const logger = provider.getLogger('audit-test', '1.2.3');
    for (let i = 0; i < 50; i++) {
      logger.emit({
        severityNumber: 9,
        severityText: 'INFO',
        body: { action: 'transfer', amount: i },
        attributes: { 'user.id': `u${i}`, ok: true },
        eventName: 'payment.transfer',
        timestamp: 1_700_000_000_000 + i,
      });
    }
    await audit.forceFlush();
    expect(audit.wal.durableSeq).toBe(50);
    await provider.shutdown();
    const records = stored(dir);
    expect(records).toHaveLength(50);
    const r7 = records[7];
    expect(r7?.eventName).toBe('payment.transfer');
    expect(r7?.scope.name).toBe('audit-test');
    expect(r7?.scope.version).toBe('1.2.3');
    expect(r7?.timeUnixNano).toBe(BigInt(1_700_000_000_007) * 1_000_000n);
    expect(r7?.attributes).toEqual([
      { key: 'user.id', value: 'u7' },
      { key: 'ok', value: true },
    ]);
    expect(r7?.resource.attributes).toContainEqual({ key: 'service.name', value: 'billing' });
  });

  it('durability strict: the record is durable when emit returns', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({ config: configFor(dir, '    durability: strict') });
    const provider = new LoggerProvider({ processors: audit.processors });
    provider.getLogger('s').emit({ body: 'one' });
    expect(audit.wal.durableSeq).toBe(1);
    provider.getLogger('s').emit({ body: 'two' });
    expect(audit.wal.durableSeq).toBe(2);
    await provider.shutdown();
    expect(stored(dir).map((r) => r.body)).toEqual(['one', 'two']);
  });

  it('write() resolves on durability; on_failure error surfaces a failure through emit and forceFlush', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({
      config: configFor(dir, SMALL_PAYLOAD_WAL),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('f');
    logger.emit({ body: 'x'.repeat(500) });
    await expect(audit.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    logger.emit({ body: 'y'.repeat(500) });
    await new Promise((r) => setTimeout(r, 20));
    // The emit that reports the earlier failure still takes its own record.
    expect(() => logger.emit({ body: 'ok' })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_WRITE_FAILED',
        message: expect.stringMatching(/this one was accepted/),
      }),
    );
    logger.emit({ body: 'fine' });
    await audit.forceFlush();
    await provider.shutdown();
    expect(stored(dir).map((r) => r.body)).toEqual(['ok', 'fine']);
  });

  it('on_failure error: shutdown rejects when a record emitted just before it could not be made durable', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({
      config: configFor(dir, SMALL_PAYLOAD_WAL),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    provider.getLogger('s').emit({ body: 'x'.repeat(500) });
    await expect(provider.shutdown()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(stored(dir)).toEqual([]);
  });

  it('write() reports a failure through its promise, never by throwing (strict durability)', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({
      config: configFor(dir, `    durability: strict\n${SMALL_PAYLOAD_WAL}`),
    });
    let written: Promise<void> | undefined;
    expect(() => {
      written = audit.write(createAuditRecord({ body: 'x'.repeat(500) }));
    }).not.toThrow();
    await expect(written).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    await expect(audit.write(createAuditRecord({ body: 'ok' }))).resolves.toBeUndefined();
    await audit.shutdown().catch(() => undefined);
    expect(stored(dir).map((r) => r.body)).toEqual(['ok']);
  });

  it('on_failure callback hands the failed record to the application', async () => {
    const dir = tempDir();
    const failed: unknown[] = [];
    const audit = await createAuditLogging({
      config: configFor(dir, `${SMALL_PAYLOAD_WAL}\n    on_failure: callback`),
      onFailure: (err, record) => failed.push([(err as { code?: string }).code, record.body]),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    provider.getLogger('c').emit({ body: 'z'.repeat(600) });
    await expect(audit.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(failed).toEqual([['PIPELINE_PERMANENT', 'z'.repeat(600)]]);
    await provider.shutdown();
  });

  it('one bad record in a group commit fails alone: its neighbours are durable', async () => {
    const dir = tempDir();
    const failed: unknown[] = [];
    const audit = await createAuditLogging({
      config: configFor(dir, `${SMALL_PAYLOAD_WAL}\n    on_failure: callback`),
      onFailure: (_err, record) => failed.push(record.body),
    });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('b');
    logger.emit({ body: 'good-1' });
    logger.emit({ body: 'x'.repeat(600) });
    logger.emit({ body: 'good-2' });
    const direct = audit.write(createAuditRecord({ body: 'good-3' }));
    await expect(audit.forceFlush()).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    await expect(direct).resolves.toBeUndefined();
    expect(failed).toEqual(['x'.repeat(600)]);
    await provider.shutdown();
    // Each once (no retry writes a durable neighbour twice), in emit order (no record-by-record retry).
    expect(stored(dir).map((r) => r.body)).toEqual(['good-1', 'good-2', 'good-3']);
  });

  it('refuses a config without an audit_sdk pipeline, naming the problem', async () => {
    await expect(
      createAuditLogging({
        config: `
receivers: { audit_sdk: }
exporters: { audit_wal: { directory: /tmp/never-used } }
service: { pipelines: { logs: { receivers: [audit_sdk], exporters: [audit_wal] } } }
`,
        pipeline: 'logs/missing',
      }),
    ).rejects.toMatchObject({ code: 'PIPELINE_BUILD' });
  });
});
