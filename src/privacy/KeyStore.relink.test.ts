/**
 * KeyStore with deferSync when a shred (another process: `keys shred`) races this process's writing of
 * a new key's entry, with file operations failing or interleaved on purpose (node:fs mocked).
 */
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreClosedError, KeyStoreIoError } from './errors.ts';
import { RecordDecryptor, SHREDDED_MARKER } from './RecordDecryptor.ts';
import { encryptValue } from './encryptedValue.ts';
import { deferredStores, fileOf, LoggingSyncer } from './testutil/deferredStores.ts';
import { asyncLinksDone, holdNextTemporaryLink, resetHeldFs } from './testutil/heldFs.ts';
import { readerOf as reader, relinkAfterShred } from './testutil/relinkAfterShred.ts';

/**
 * `unlinkFails(file)`: unlinkSync of that file fails with EIO. `linkBeforeUnlink`: a held link of a
 * temporary file (heldFs.ts) runs (for real) just before an unlinkSync of that file — the thread
 * pool's link landing between a shred's overwrite of the file and its unlink.
 */
const hooks = vi.hoisted(() => ({
  unlinkFails: undefined as ((file: string) => boolean) | undefined,
  linkBeforeUnlink: undefined as { readonly from: string; readonly to: string } | undefined,
}));
vi.mock('node:fs', async (importOriginal) => {
  const real = (await import('./testutil/heldFs.ts')).withHeldFs(await importOriginal<typeof fs>());
  return {
    ...real,
    unlinkSync: (file: fs.PathLike) => {
      const f = String(file);
      const link = hooks.linkBeforeUnlink;
      if (link?.from === f) {
        hooks.linkBeforeUnlink = undefined;
        real.linkSync(link.from, link.to);
      }
      if (hooks.unlinkFails?.(f)) throw Object.assign(new Error('EIO: i/o error, unlink'), { code: 'EIO' });
      real.unlinkSync(file);
    },
  };
});

const tmp = makeTempDir('otel-audit-keystore-relink-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  hooks.unlinkFails = undefined;
  hooks.linkBeforeUnlink = undefined;
  resetHeldFs();
  vi.useRealTimers();
});
const { open } = deferredStores(tmp.dir);

/** RelinkedEntries' retry timer (1 s doubling to 60 s) runs only when a test advances it. */
const fakeRetryTimer = (): void => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

describe('KeyStore: a shredded key linked again by a write in flight', () => {
  it('is destroyed; when that fails it is reported (onError) and destroyed by the next flush, not left readable', async () => {
    fakeRetryTimer();
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const file = fileOf(store, 'sid');
    const keyId = await relinkAfterShred(store, 'sid', () => {
      hooks.unlinkFails = (f) => f === file; // the destruction of the entry linked again fails
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KeyStoreIoError);
    expect(errors[0]?.message).toContain(keyId);
    hooks.unlinkFails = undefined;
    await store.flushPending(); // any batch's flush destroys it
    expect(existsSync(file)).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0); // nothing left to retry
  });

  it('while the store is locked (a shred or rewrap elsewhere), it is destroyed once the lock is gone', async () => {
    fakeRetryTimer();
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const lock = `${store.directory}/lock`;
    const keyId = await relinkAfterShred(store, 'sue', () => fs.writeFileSync(lock, '4242\n'));
    expect(errors).toHaveLength(1); // the first attempt's
    expect(errors[0]?.message).toMatch(/locked/);
    expect(errors[0]?.message).toContain(keyId);
    // A lock left by a crashed shred stays until removed by hand: the batches' flushes retry without
    // logging each time (the first attempt and the timer report it).
    for (let i = 0; i < 20; i++) {
      store.flushPendingSync();
      await store.flushPending();
    }
    expect(errors).toHaveLength(1);
    expect(existsSync(fileOf(store, 'sue'))).toBe(true); // still locked: not destroyed yet
    vi.advanceTimersByTime(999);
    expect(errors).toHaveLength(1);
    vi.advanceTimersByTime(1); // the timer's first retry (1 s) reports, and says when it tries next
    expect(errors).toHaveLength(2);
    expect(errors[1]?.message).toMatch(/locked/);
    expect(errors[1]?.message).toContain('every 2 s');
    fs.rmSync(lock);
    store.flushPendingSync(); // the synchronous flush retries too
    expect(existsSync(fileOf(store, 'sue'))).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    expect(errors).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0); // the timer stopped with nothing left
  });
});

describe('KeyStore.close: the last attempt at a shredded key linked again', () => {
  it('still locked: reported as given up (the file, the key id, shred again), no timer left, nothing retries it', async () => {
    fakeRetryTimer();
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const file = fileOf(store, 'ida');
    const lock = `${store.directory}/lock`;
    const keyId = await relinkAfterShred(store, 'ida', () => fs.writeFileSync(lock, '4242\n'));
    expect(errors).toHaveLength(1); // the first attempt's
    expect(vi.getTimerCount()).toBe(1); // the retry timer
    await store.close();
    expect(errors).toHaveLength(2); // the last attempt's
    expect(errors[1]).toBeInstanceOf(KeyStoreIoError);
    const message = errors[1]?.message ?? '';
    expect(message).toContain(file);
    expect(message).toContain(keyId);
    expect(message).toMatch(/locked/);
    expect(message).toContain('`keys shred` again');
    expect(message).not.toContain('retried by');
    expect(vi.getTimerCount()).toBe(0);
    fs.rmSync(lock);
    vi.advanceTimersByTime(120_000); // no retry after close: the file stays, no more reports
    expect(errors).toHaveLength(2);
    expect(existsSync(file)).toBe(true);
    expect(reader(store.directory).keyById(keyId)?.id).toBe(keyId); // readable: hence the report
    await store.close(); // idempotent: no second report
    expect(errors).toHaveLength(2);
  });

  it('now destroyable: destroyed by close (the entry file is gone), nothing reported', async () => {
    fakeRetryTimer();
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const file = fileOf(store, 'ivo');
    const keyId = await relinkAfterShred(store, 'ivo', () => {
      hooks.unlinkFails = (f) => f === file;
    });
    expect(errors).toHaveLength(1);
    hooks.unlinkFails = undefined; // no flush comes before the shutdown: close destroys it
    await store.close();
    expect(existsSync(file)).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for the flush in flight whose link brings the key back, then destroys it; refuses new work from the call on', async () => {
    fakeRetryTimer();
    const errors: KeyStoreIoError[] = [];
    let lock = '';
    const store = open(new LoggingSyncer(), undefined, {
      onError: (e) => {
        errors.push(e);
        fs.rmSync(lock); // freed once the link's own attempt has failed: close's attempt succeeds
      },
    });
    const file = fileOf(store, 'uma');
    lock = `${store.directory}/lock`;
    let closed: Promise<void> | undefined;
    let linksWhenClosed = -1;
    let linksBefore = -1; // the first key's link (relinkAfterShred) is among them: counted from here
    const keyId = await relinkAfterShred(store, 'uma', () => {
      fs.writeFileSync(lock, '4242\n'); // the link's own attempt fails
      linksBefore = asyncLinksDone().length;
      closed = store.close(); // the shutdown begins while the thread pool still has to link the entry
      void closed.then(() => (linksWhenClosed = asyncLinksDone().length));
      expect(() => store.keyForSubject('other')).toThrow(KeyStoreClosedError);
      expect(() => store.shred('other')).toThrow(KeyStoreClosedError);
      expect(() => store.keyById(`${'0'.repeat(32)}.000000000000`)).toThrow(KeyStoreClosedError);
    });
    await closed;
    expect(linksWhenClosed).toBe(linksBefore + 1); // closed after the link, not before
    expect(errors).toHaveLength(1); // the link's first attempt (locked); close's succeeded
    expect(errors[0]?.message).toMatch(/locked/);
    expect(existsSync(file)).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreClosedError);
    expect(() => store.flushPendingSync()).toThrow(KeyStoreClosedError);
    expect(new KeyStoreClosedError('x').retryable).toBe(true);
  });
});

describe('KeyStore: a shred racing the link of a new entry', () => {
  it('the link landing between the overwrite and the unlink of the temporary file leaves no zero-filled entry: the key reads as shredded, not damaged', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ria');
    const value = encryptValue('secret', key.id, key.key, { path: ['body'], timeUnixNano: 1n });
    const holding = holdNextTemporaryLink();
    const inFlight = store.flushPending(); // the thread pool writes the temporary file, then links it
    const held = await holding;
    expect(held.to).toBe(fileOf(store, 'ria'));
    // keys shred (another process) zero-fills the temporary file holding the key; the link runs
    // before its unlink: the subject's name now holds those zeros.
    hooks.linkBeforeUnlink = held;
    reader(store.directory).shred('ria');
    expect(hooks.linkBeforeUnlink).toBeUndefined(); // it did run there
    held.complete(null); // the thread pool reports its link
    await inFlight; // the records of that batch are acknowledged: they count as shredded
    expect(existsSync(fileOf(store, 'ria'))).toBe(false);
    const r = reader(store.directory);
    expect(r.keyById(key.id)).toBeUndefined();
    const problems: string[] = [];
    const shown = new RecordDecryptor(r).reveal(createAuditRecord({ timeUnixNano: 1n, body: value }), (m) =>
      problems.push(m),
    );
    expect(shown.body).toBe(SHREDDED_MARKER);
    expect(problems).toEqual([]);
  });
});
