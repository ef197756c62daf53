/**
 * audit_encrypt's shutdown closes its key store after the last flush, also while a write of a new
 * key's entry that a forced synchronous commit took over is still on the thread pool and its subject
 * is shredded meanwhile: the write links nothing after the shred (fenced:
 * src/privacy/internal/entryCreation.ts), nothing is logged, no timer outlives the processor. The race
 * is played in a fixed order on the processor's own store (src/privacy/testutil/shredDuringTakeover.ts,
 * node:fs mocked).
 */
import type * as fs from 'node:fs';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStoreClosedError } from '../../src/privacy/errors.ts';
import { KeyStore } from '../../src/privacy/KeyStore.ts';
import { fileOf, master } from '../../src/privacy/testutil/deferredStores.ts';
import { resetHeldFs } from '../../src/privacy/testutil/heldFs.ts';
import { readerOf, shredDuringTakeover } from '../../src/privacy/testutil/shredDuringTakeover.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import type { EncryptProcessor } from './EncryptProcessor.ts';
import { encryptProcessor } from './testing/startedWithStore.ts';

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
/** A started processor and its key store (the one it opened), with the master key of shredDuringTakeover's reader. */
async function started(): Promise<{
  p: EncryptProcessor;
  store: KeyStore;
  settings: ReturnType<typeof testSettings>;
}> {
  const settings = testSettings('audit_encrypt');
  const open = vi.spyOn(KeyStore, 'open');
  const p = encryptProcessor(
    settings,
    path.join(tmp.dir, `keys-${n++}`),
    master.key.export().toString('base64'),
  );
  await p.start();
  const store = open.mock.results[0]?.value as KeyStore;
  open.mockRestore();
  return { p, store, settings };
}

const errorLines = (settings: ReturnType<typeof testSettings>): string[] =>
  settings.logger.lines.filter((l) => l.startsWith('error:'));

describe('audit_encrypt shutdown: a shred during a takeover of a key being written', () => {
  for (const heldAt of ['open', 'link'] as const) {
    it(`held at its ${heldAt}, the store locked: the key is not back after the shutdown, nothing logged, no timer left`, async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const { p, store, settings } = await started();
      const file = fileOf(store, 'sue');
      const lock = path.join(store.directory, 'lock');
      const keyId = await shredDuringTakeover(store, 'sue', heldAt, () => writeFileSync(lock, '4242\n'));
      await p.shutdown();
      expect(errorLines(settings)).toEqual([]);
      expect(vi.getTimerCount()).toBe(0); // nor the shutdown deadline's, nor the close timeout's
      rmSync(lock);
      expect(existsSync(file)).toBe(false);
      expect(readerOf(store.directory).keyById(keyId)).toBeUndefined();
      expect(() => store.keyForSubject('sue')).toThrow(KeyStoreClosedError);
      const record = createAuditRecord({ body: 'x', attributes: [{ key: 'user.id', value: 'sue' }] });
      expect(() => p.process(auditRecordView(record))).toThrow(/not started/);
      expect(p.flushBeforeExport()).toBeUndefined(); // nothing pending: no flush asked of a closed store
    });
  }
});
