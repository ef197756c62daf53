/**
 * KeyStore with deferSync when a shred (another process: `keys shred`) races this process's writing of
 * a new key's entry, with file operations failing or interleaved on purpose (node:fs mocked).
 */
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { pbkdf2 } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreIoError } from './errors.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { deferredStores, fileOf, LoggingSyncer, master } from './testutil/deferredStores.ts';

/** `unlinkFails(file)`: unlinkSync of that file fails with EIO. */
const hooks = vi.hoisted(() => ({
  unlinkFails: undefined as ((file: string) => boolean) | undefined,
}));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    unlinkSync: (file: fs.PathLike) => {
      if (hooks.unlinkFails?.(String(file)))
        throw Object.assign(new Error('EIO: i/o error, unlink'), { code: 'EIO' });
      real.unlinkSync(file);
    },
  };
});

const pbkdf2Async = promisify(pbkdf2);
const tmp = makeTempDir('otel-audit-keystore-relink-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  hooks.unlinkFails = undefined;
});
const { open } = deferredStores(tmp.dir);

/** The store as a process that only reads it (the CLI) sees it. */
const reader = (directory: string): KeyStore =>
  KeyStore.open({ directory, masterKeys: new SecretKeyRing([master], 'master'), create: false });

/**
 * A key taken over by flushPendingSync, then shredded by another process while the thread pool's link
 * of the same entry, issued before the takeover, still waits to run (8 pbkdf2 jobs keep the pool busy;
 * KeyStore.creation.test.ts). Returns once that link has run (after the shred: the key is back).
 */
async function relinkAfterShred(store: KeyStore, subject: string, beforeLink: () => void): Promise<string> {
  store.keyForSubject(subject);
  await store.flushPending(); // the subject's shard directory exists and is known
  store.shred(subject);
  const key = store.keyForSubject(subject); // a new key, its entry not written yet
  const busy = Array.from({ length: 8 }, () => pbkdf2Async('x', 'y', 300_000, 32, 'sha256'));
  const inFlight = store.flushPending();
  for (let i = 0; i < 10; i++) await Promise.resolve();
  store.flushPendingSync(); // durable: the batch's records go to the WAL
  expect(reader(store.directory).shred(subject)).toBe(key.id);
  beforeLink();
  await Promise.all(busy);
  await inFlight;
  await delay(5);
  return key.id;
}

describe('KeyStore: a shredded key linked again by a write in flight', () => {
  it('is destroyed; when that fails it is reported (onError) and destroyed by the next flush, not left readable', async () => {
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
  });

  it('while the store is locked (a shred or rewrap elsewhere), it is destroyed once the lock is gone', async () => {
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const lock = `${store.directory}/lock`;
    const keyId = await relinkAfterShred(store, 'sue', () => fs.writeFileSync(lock, '4242\n'));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]?.message).toMatch(/locked/);
    fs.rmSync(lock);
    store.flushPendingSync(); // the synchronous flush retries too
    expect(existsSync(fileOf(store, 'sue'))).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
  });
});
