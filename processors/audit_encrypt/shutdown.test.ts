/**
 * audit_encrypt's shutdown closes its key store after the last flush: a shredded key that a write in
 * flight linked back (src/privacy/internal/relinkedEntries.ts) gets a last attempt, is reported as
 * given up if that fails, and no retry timer outlives the processor. The race is played in a fixed
 * order on the processor's own store (src/privacy/testutil/relinkAfterShred.ts, node:fs mocked).
 */
import type * as fs from 'node:fs';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStoreClosedError } from '../../src/privacy/errors.ts';
import { KeyStore } from '../../src/privacy/KeyStore.ts';
import { fileOf, master } from '../../src/privacy/testutil/deferredStores.ts';
import { resetHeldFs } from '../../src/privacy/testutil/heldFs.ts';
import { readerOf, relinkAfterShred } from '../../src/privacy/testutil/relinkAfterShred.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { auditEncryptConfigSchema } from './config.ts';
import type { EncryptProcessor } from './EncryptProcessor.ts';
import { auditEncryptProcessorFactory } from './factory.ts';

vi.mock('node:fs', async (importOriginal) =>
  (await import('../../src/privacy/testutil/heldFs.ts')).withHeldFs(await importOriginal<typeof fs>()),
);

const tmp = makeTempDir('otel-audit-encrypt-shutdown-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  resetHeldFs();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

let n = 0;
/** A started processor and its key store (the one it opened), with the master key of relinkAfterShred's reader. */
async function started(): Promise<{
  p: EncryptProcessor;
  store: KeyStore;
  settings: ReturnType<typeof testSettings>;
}> {
  const settings = testSettings('audit_encrypt');
  const open = vi.spyOn(KeyStore, 'open');
  const p = auditEncryptProcessorFactory.create(
    settings,
    auditEncryptConfigSchema.parse({
      ...(auditEncryptProcessorFactory.createDefaultConfig() as object),
      body: true,
      key_store: {
        directory: path.join(tmp.dir, `keys-${n++}`),
        master_keys: [{ value: master.key.export().toString('base64') }],
      },
    }),
  ) as EncryptProcessor;
  await p.start();
  const store = open.mock.results[0]?.value as KeyStore;
  open.mockRestore();
  return { p, store, settings };
}

const errorLines = (settings: ReturnType<typeof testSettings>): string[] =>
  settings.logger.lines.filter((l) => l.startsWith('error:'));

describe('audit_encrypt shutdown: a shredded key linked back by a write in flight', () => {
  it('still undestroyable (store locked): the last attempt is logged naming the file and saying to shred again; no retry after', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { p, store, settings } = await started();
    const file = fileOf(store, 'sue');
    const lock = path.join(store.directory, 'lock');
    const keyId = await relinkAfterShred(store, 'sue', () => writeFileSync(lock, '4242\n'));
    expect(errorLines(settings)).toHaveLength(1); // the first attempt's
    expect(vi.getTimerCount()).toBe(1); // its retry timer
    await p.shutdown();
    const errors = errorLines(settings);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toContain(file);
    expect(errors[1]).toContain(keyId);
    expect(errors[1]).toContain('`keys shred` again');
    expect(vi.getTimerCount()).toBe(0); // neither the retry timer nor the shutdown deadline's
    rmSync(lock);
    vi.advanceTimersByTime(120_000);
    expect(errorLines(settings)).toHaveLength(2); // nothing retried it
    expect(existsSync(file)).toBe(true);
    expect(readerOf(store.directory).keyById(keyId)?.id).toBe(keyId);
  });

  it('destroyable by now: destroyed by the shutdown (the entry file is gone), nothing more logged; the store refuses new work', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { p, store, settings } = await started();
    const file = fileOf(store, 'ivo');
    const lock = path.join(store.directory, 'lock');
    const keyId = await relinkAfterShred(store, 'ivo', () => writeFileSync(lock, '4242\n'));
    rmSync(lock); // no flush comes before the shutdown: only its last attempt can destroy it
    expect(existsSync(file)).toBe(true);
    await p.shutdown();
    expect(existsSync(file)).toBe(false);
    expect(readerOf(store.directory).keyById(keyId)).toBeUndefined();
    expect(errorLines(settings)).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => store.keyForSubject('ivo')).toThrow(KeyStoreClosedError);
    const record = createAuditRecord({ body: 'x', attributes: [{ key: 'user.id', value: 'ivo' }] });
    expect(() => p.process(auditRecordView(record))).toThrow(/not started/);
    expect(p.flushBeforeExport()).toBeUndefined(); // nothing pending: no flush asked of a closed store
  });
});
