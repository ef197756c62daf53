import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { createAuditLogging } from '../../src/inprocess/createAuditLogging.ts';
import { decryptValue, parseEncryptedValue } from '../../src/privacy/encryptedValue.ts';
import { entryPath } from '../../src/privacy/internal/keyStoreFormat.ts';
import type { KeyStore } from '../../src/privacy/KeyStore.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { decodeRecord } from '../../src/record/walCodec.ts';
import { FrameType } from '../../src/wal/format.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { auditEncryptConfigSchema } from './config.ts';
import { auditEncryptProcessorFactory } from './factory.ts';
import { readKeyStore, startedWithStore } from './testing/startedWithStore.ts';

const tmp = makeTempDir('otel-audit-encrypt-pending-');
afterAll(() => tmp.cleanup());
const master = randomBytes(32).toString('base64');

const readStore = (dir: string): KeyStore => readKeyStore(dir, master);

function inProcess(root: string, durability: 'group_commit' | 'strict') {
  return createAuditLogging({
    config: {
      receivers: { audit_sdk: null },
      processors: {
        audit_encrypt: { body: true, key_store: { directory: 'keys', master_keys: [{ value: master }] } },
      },
      exporters: { audit_wal: { directory: 'wal', durability } },
      service: {
        pipelines: {
          logs: { receivers: ['audit_sdk'], processors: ['audit_encrypt'], exporters: ['audit_wal'] },
        },
      },
    },
    baseDir: root,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

describe('audit_encrypt: new subjects keys are synced in flushBeforeExport, not in process()', () => {
  it('process() of a new subject leaves work for flushBeforeExport; a known subject none', async () => {
    const p = auditEncryptProcessorFactory.create(
      testSettings('audit_encrypt'),
      auditEncryptConfigSchema.parse({
        ...(auditEncryptProcessorFactory.createDefaultConfig() as object),
        body: true,
        key_store: { directory: path.join(tmp.dir, 'keys-a'), master_keys: [{ value: master }] },
      }),
    );
    await p.start?.();
    const record = () =>
      createAuditRecord({ body: 'x', attributes: [{ key: 'user.id', value: 'new-patient' }] });
    p.process(auditRecordView(record()));
    const pending = p.flushBeforeExport?.();
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(p.flushBeforeExport?.()).toBeUndefined();
    p.process(auditRecordView(record())); // cached, durable key: nothing to wait for
    expect(p.flushBeforeExport?.()).toBeUndefined();
    await p.shutdown?.();
  });

  // (The order "keys synced, then the batch reaches the WAL" is tested with a logging processor in
  // src/inprocess/flushBeforeExport.test.ts; here: the real store and WAL end to end.)
  it('in process with a real WAL: every record reaches the WAL and decrypts with the key the store holds', async () => {
    const root = path.join(tmp.dir, 'inprocess');
    const audit = await inProcess(root, 'group_commit');
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('t');
    for (let i = 0; i < 300; i++)
      logger.emit({ body: `visit ${i}`, attributes: { 'user.id': `patient-${i % 150}` } });
    await audit.forceFlush();
    const records = [...audit.wal.read({ fromSeq: 1 })]
      .filter((e) => e.type === FrameType.RECORD)
      .map((e) => decodeRecord(e.payload));
    expect(records).toHaveLength(300);
    const keyIds = new Set(records.map((r) => parseEncryptedValue(String(r.body))?.keyId));
    expect(keyIds.size).toBe(150);
    await provider.shutdown();
    // A fresh reader of the store (as after a restart): each record's key is there, and is its key.
    const store = readStore(path.join(root, 'keys'));
    const bodies = records.map((r) => {
      const parsed = parseEncryptedValue(String(r.body));
      const key = parsed && store.keyById(parsed.keyId);
      if (!parsed || !key) return undefined;
      return decryptValue(parsed, key.key, { path: ['body'], timeUnixNano: r.timeUnixNano });
    });
    expect(bodies.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `visit ${i}`).sort());
  });
  it('durability strict: when emit returns, the record is in the WAL and its new key in the store', async () => {
    const root = path.join(tmp.dir, 'strict');
    const audit = await inProcess(root, 'strict');
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('t');
    for (let i = 0; i < 20; i++) {
      logger.emit({ body: `visit ${i}`, attributes: { 'user.id': `strict-patient-${i}` } });
      // Nothing awaited: the write (and the key's entry, written and synced first) happened in emit.
      const last = [...audit.wal.read({ fromSeq: 1 })].filter((e) => e.type === FrameType.RECORD).at(-1);
      const parsed = last && parseEncryptedValue(String(decodeRecord(last.payload).body));
      expect(parsed && readStore(path.join(root, 'keys')).keyById(parsed.keyId)?.id).toBe(parsed?.keyId);
    }
    expect(audit.wal.status().durableSeq).toBeGreaterThanOrEqual(20);
    await provider.shutdown();
  });
});

describe('audit_encrypt: an entry a crash left torn', () => {
  it('is replaced by a new key with a warning naming the file, never silently', async () => {
    const directory = path.join(tmp.dir, 'keys-torn');
    const { p, settings, store } = await startedWithStore(directory, master);
    const file = entryPath(directory, store.subjectRef('zoe'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(310));
    const record = createAuditRecord({ body: 'x', attributes: [{ key: 'user.id', value: 'zoe' }] });
    p.process(auditRecordView(record));
    await p.flushBeforeExport?.();
    expect(parseEncryptedValue(String(record.body))?.keyId).toBe(store.keyForSubject('zoe').id);
    expect(settings.logger.lines.filter((l) => l.startsWith('warn:') && l.includes(file))).toHaveLength(1);
    await p.shutdown?.();
  });
});
