/**
 * audit_encrypt's shutdown honours its deadline while a key flush hangs (a hung disk: the store's fsyncs
 * held, as in src/privacy/KeyStore.close.test.ts): the key store stops waiting at the shutdown's deadline
 * (or `close_timeout_ms`, if sooner), not after its own 10 s default; the shutdown settles by then,
 * rejecting with what it gave up on (KEY_STORE_IO, also logged), and the hung flush is not resolved:
 * nothing encrypted with its key is acknowledged before the disk comes back.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStore, type KeyStoreOptions } from '../../src/privacy/KeyStore.ts';
import { LoggingSyncer, master } from '../../src/privacy/testutil/deferredStores.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { encryptProcessor } from './testing/startedWithStore.ts';

const tmp = makeTempDir('otel-audit-encrypt-deadline-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

let n = 0;
/**
 * A started processor whose key store syncs through a held syncer, one record processed (a new subject's
 * key) and its batch's flush started: it hangs until `release()`.
 */
async function withHungFlush(config: Record<string, unknown> = {}) {
  const settings = testSettings('audit_encrypt');
  const syncer = new LoggingSyncer();
  const open = KeyStore.open.bind(KeyStore);
  vi.spyOn(KeyStore, 'open').mockImplementation((o: KeyStoreOptions) => open({ ...o, syncer }));
  const p = encryptProcessor(
    settings,
    path.join(tmp.dir, `keys-${n++}`),
    master.key.export().toString('base64'),
    config,
  );
  await p.start();
  const release = syncer.hold();
  p.process(
    auditRecordView(createAuditRecord({ body: 'x', attributes: [{ key: 'user.id', value: 'ada' }] })),
  );
  let flushed = false;
  const flush = p.flushBeforeExport();
  if (flush === undefined) throw new Error('no flush: the new key should be pending');
  const flushing = flush.then(() => (flushed = true));
  return { p, settings, release, flushing, flushed: () => flushed };
}

/** How the shutdown settled, and after how many ms. */
async function outcome(shutdown: Promise<void>, since: number): Promise<{ code: string; ms: number }> {
  const code = await shutdown.then(
    () => 'resolved',
    (e: unknown) => String((e as { code?: string }).code),
  );
  return { code, ms: performance.now() - since };
}

const errorLines = (settings: ReturnType<typeof testSettings>): string[] =>
  settings.logger.lines.filter((l) => l.startsWith('error:'));

describe('audit_encrypt shutdown with a key flush that hangs', () => {
  it('shutdown(150): settles by its deadline, not after the store’s 10 s, rejecting with what it gave up on', async () => {
    const { p, settings, release, flushing, flushed } = await withHungFlush();
    const since = performance.now();
    const { code, ms } = await outcome(p.shutdown(150), since);
    expect(code).toBe('KEY_STORE_IO'); // not SHUTDOWN_TIMEOUT: the store gave up at the deadline, and says so
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(3_000);
    await expect(p.shutdown()).rejects.toThrow(
      /shut down with 1 key store flush\(es\) still running .*not known durable/,
    );
    // Logged by the time the shutdown returned (before: 10 s later, the store still waiting).
    expect(errorLines(settings)).toEqual([
      expect.stringMatching(
        /^error: audit_encrypt: key store .*: closed after waiting \d+ ms for 1 flush\(es\) still running .*1 key\(s\) not known durable/,
      ),
    ]);
    expect(flushed()).toBe(false); // the batch that used the key is not acknowledged
    release(); // the disk comes back: the flush ends, its key durable now
    await flushing;
    expect(flushed()).toBe(true);
  });

  it('a later shutdown call with an earlier deadline ends the wait then', async () => {
    const { p, settings, release, flushing } = await withHungFlush();
    const since = performance.now();
    const first = p.shutdown(30_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.shutdown(100)).toBe(first);
    const { code, ms } = await outcome(first, since);
    expect(code).toBe('KEY_STORE_IO');
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThan(3_000);
    expect(errorLines(settings)).toHaveLength(1);
    release();
    await flushing;
  });

  it('close_timeout_ms shorter than the deadline wins', async () => {
    const { p, settings, release, flushing } = await withHungFlush({ close_timeout_ms: 80 });
    const since = performance.now();
    const { code, ms } = await outcome(p.shutdown(30_000), since);
    expect(code).toBe('KEY_STORE_IO');
    expect(ms).toBeGreaterThanOrEqual(70);
    expect(ms).toBeLessThan(3_000);
    expect(errorLines(settings)).toEqual([expect.stringMatching(/closeTimeoutMs 80 ms/)]);
    release();
    await flushing;
  });

  it('a flush that ends before the deadline is waited for: the shutdown resolves, nothing logged', async () => {
    const { p, settings, release, flushing, flushed } = await withHungFlush();
    const stopped = p.shutdown(5_000);
    await new Promise((r) => setTimeout(r, 30));
    release();
    await expect(stopped).resolves.toBeUndefined();
    expect(flushed()).toBe(true);
    await flushing;
    expect(errorLines(settings)).toEqual([]);
  });
});
