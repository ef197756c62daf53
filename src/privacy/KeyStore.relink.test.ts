/**
 * KeyStore with deferSync when a shred (another process: `keys shred`) races this process's writing of
 * a new key's entry, with file operations failing or interleaved on purpose (node:fs mocked).
 */
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pbkdf2 } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreIoError } from './errors.ts';
import { RecordDecryptor, SHREDDED_MARKER } from './RecordDecryptor.ts';
import { encryptValue } from './encryptedValue.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { deferredStores, fileOf, LoggingSyncer, master } from './testutil/deferredStores.ts';

type LinkCallback = (error: NodeJS.ErrnoException | null) => void;
interface HeldLink {
  readonly from: string;
  readonly to: string;
  readonly callback: LinkCallback;
}
/**
 * `unlinkFails(file)`: unlinkSync of that file fails with EIO. `holdLink`: the next asynchronous link
 * of a temporary file is not run but kept in `held`. `linkBeforeUnlink`: that link runs (for real)
 * just before an unlinkSync of its temporary file — the thread pool's link landing between a
 * shred's overwrite of the file and its unlink.
 */
const hooks = vi.hoisted(() => ({
  unlinkFails: undefined as ((file: string) => boolean) | undefined,
  holdLink: false,
  held: undefined as HeldLink | undefined,
  linkBeforeUnlink: undefined as HeldLink | undefined,
}));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
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
    link: (from: fs.PathLike, to: fs.PathLike, callback: LinkCallback) => {
      if (hooks.holdLink && path.basename(String(from)).startsWith('.tmp-')) {
        hooks.holdLink = false;
        hooks.held = { from: String(from), to: String(to), callback };
        return;
      }
      real.link(from, to, callback);
    },
  };
});

const pbkdf2Async = promisify(pbkdf2);
const tmp = makeTempDir('otel-audit-keystore-relink-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  hooks.unlinkFails = undefined;
  hooks.holdLink = false;
  hooks.held = undefined;
  hooks.linkBeforeUnlink = undefined;
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
    // A lock left by a crashed shred stays until removed by hand: the batches' flushes retry without
    // logging each time (the first attempt and the timer report it).
    const reported = errors.length;
    for (let i = 0; i < 20; i++) {
      store.flushPendingSync();
      await store.flushPending();
    }
    expect(errors.length - reported).toBeLessThanOrEqual(1); // the timer's, if 1 s has passed
    fs.rmSync(lock);
    store.flushPendingSync(); // the synchronous flush retries too
    expect(existsSync(fileOf(store, 'sue'))).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
  });
});

describe('KeyStore: a shred racing the link of a new entry', () => {
  it('the link landing between the overwrite and the unlink of the temporary file leaves no zero-filled entry: the key reads as shredded, not damaged', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ria');
    const value = encryptValue('secret', key.id, key.key, { path: ['body'], timeUnixNano: 1n });
    hooks.holdLink = true;
    const inFlight = store.flushPending(); // the thread pool writes the temporary file, then links it
    for (let i = 0; i < 200 && hooks.held === undefined; i++) await delay(1);
    const held = hooks.held as HeldLink | undefined;
    expect(held?.to).toBe(fileOf(store, 'ria'));
    // keys shred (another process) zero-fills the temporary file holding the key; the link runs
    // before its unlink: the subject's name now holds those zeros.
    hooks.linkBeforeUnlink = held;
    reader(store.directory).shred('ria');
    held?.callback(null); // the thread pool reports its link
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
