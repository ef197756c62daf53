import type * as fs from 'node:fs';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isRetryable } from '../pipeline/consumer.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreBacklogError, KeyStoreIoError, KeyStoreWriteFailedError } from './errors.ts';
import { alternateEntryPath } from './internal/keyStoreFormat.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { deferredStores, fileOf, LoggingSyncer, master } from './testutil/deferredStores.ts';
import { resetHeldFs } from './testutil/heldFs.ts';
import { randomSecretKey } from './testutil/keys.ts';
import { shredDuringTakeover } from './testutil/shredDuringTakeover.ts';

// The thread pool's writing of an entry can be held at the open of its temporary file (heldFs.ts).
vi.mock('node:fs', async (importOriginal) =>
  (await import('./testutil/heldFs.ts')).withHeldFs(await importOriginal<typeof fs>()),
);

const tmp = makeTempDir('otel-audit-keystore-creation-');
afterAll(() => tmp.cleanup());
afterEach(() => resetHeldFs());
const { open, linkedByAnother } = deferredStores(tmp.dir);

/** The store as a process that only reads it (the CLI) sees it: no deferSync, nothing cached from before. */
const reader = (directory: string, masterKeys = new SecretKeyRing([master], 'master')): KeyStore =>
  KeyStore.open({ directory, masterKeys, create: false });

const sameKey = (a: { key: { export(): Buffer } }, b: { key: { export(): Buffer } }): boolean =>
  a.key.export().equals(b.key.export());

const temporaries = (store: KeyStore, subject: string): string[] =>
  readdirSync(path.dirname(fileOf(store, subject))).filter((name) => name.startsWith('.tmp-'));

describe('KeyStore with deferSync: a new key entry is written by the flush, off the record path', () => {
  it('a key whose subject another process created meanwhile is kept at its alternate name: found by id, rewrapped, shredded with the subject', async () => {
    const syncer = new LoggingSyncer();
    const a = open(syncer);
    const mine = a.keyForSubject('zoe'); // records are encrypted with it; its entry is not written yet
    const other = open(new LoggingSyncer(), a.directory);
    const theirs = other.keyForSubject('zoe');
    await other.flushPending(); // the other process won the subject's name
    await a.flushPending(); // resolves: the key is durable, at its alternate name
    const alternate = alternateEntryPath(a.directory, mine.id);
    expect(syncer.log).toContain(`file ${alternate}`);
    expect(reader(a.directory).keyForSubject('zoe').id).toBe(theirs.id);
    const found = reader(a.directory).keyById(mine.id);
    expect(found?.id).toBe(mine.id);
    expect(found && sameKey(found, mine)).toBe(true);
    // The subject's next records use the key its name holds, in this process too.
    expect(a.keyForSubject('zoe').id).toBe(theirs.id);
    expect(a.keyById(mine.id)?.id).toBe(mine.id);
    await a.flushPending();
    // A master key rotation rewraps it like any entry.
    const next = randomSecretKey();
    expect(reader(a.directory, new SecretKeyRing([next, master], 'master')).rewrap()).toBe(3);
    expect(reader(a.directory, new SecretKeyRing([next], 'master')).keyById(mine.id)?.id).toBe(mine.id);
    // A shred of the subject destroys both keys.
    expect(reader(a.directory, new SecretKeyRing([next], 'master')).shred('zoe')).toBe(theirs.id);
    expect(existsSync(alternate)).toBe(false);
    expect(existsSync(fileOf(a, 'zoe'))).toBe(false);
    const after = reader(a.directory, new SecretKeyRing([next], 'master'));
    expect(after.keyById(mine.id)).toBeUndefined();
    expect(after.keyById(theirs.id)).toBeUndefined();
  });

  it("a key at its alternate name is found by id when the subject's name holds an entry a crash left torn", async () => {
    const a = open(new LoggingSyncer());
    const mine = a.keyForSubject('zed');
    const other = open(new LoggingSyncer(), a.directory);
    other.keyForSubject('zed');
    await other.flushPending();
    await a.flushPending(); // mine is at its alternate name, durable; records use it
    // The other process's entry: never synced, zero-filled by a power loss (what isTornFile accepts).
    writeFileSync(fileOf(a, 'zed'), Buffer.alloc(180));
    const found = reader(a.directory).keyById(mine.id);
    expect(found?.id).toBe(mine.id);
    expect(found && sameKey(found, mine)).toBe(true);
  });

  it('flushPendingSync takes over entries a flush in flight is still writing: one entry, synced once, no temporary file left', async () => {
    for (let turns = 0; turns < 12; turns++) {
      const syncer = new LoggingSyncer();
      const store = open(syncer);
      const subject = `tom-${turns}`;
      const key = store.keyForSubject(subject);
      const inFlight = store.flushPending();
      // The thread pool's writing gets further each time (and is done in the last ones).
      for (let t = 0; t < turns; t++) await nextTurn();
      if (turns > 6) await delay(turns - 6);
      store.flushPendingSync();
      const file = fileOf(store, subject);
      expect(reader(store.directory).keyForSubject(subject).id).toBe(key.id);
      expect(store.hasPending).toBe(false);
      await inFlight;
      const fsyncs = syncer.log.filter((l) => l === `file ${file}`).length;
      expect(fsyncs).toBeGreaterThanOrEqual(1);
      expect(temporaries(store, subject)).toEqual([]);
      expect(existsSync(alternateEntryPath(store.directory, key.id))).toBe(false);
      expect(reader(store.directory).keyForSubject(subject).id).toBe(key.id);
    }
  });

  it('a key taken over by flushPendingSync and then shredded (keys shred) is not linked again by the thread pool writing it', async () => {
    // The thread pool's writing, begun before the takeover, linked the entry after the shred: the key
    // came back at the subject's name, decrypting records acknowledged before the shred.
    const store = open(new LoggingSyncer());
    const keyId = await shredDuringTakeover(store, 'sid', 'open'); // the open of its temporary file held meanwhile
    expect(existsSync(fileOf(store, 'sid'))).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    expect(temporaries(store, 'sid')).toEqual([]);
  });

  it('when the synchronous flush that took an entry over fails, the flush in flight that started it fails too', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    store.keyForSubject('yan');
    const inFlight = store.flushPending(); // its batch used the key too
    const file = fileOf(store, 'yan');
    syncer.fail = (what) => what === `file ${file}`;
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
  });

  it('a flushPendingSync that fails still lets go of the flushes in flight it did the work of: a later flush does not fail with them', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('una');
    const inFlight = store.flushPending(); // fails: the takeover below could not sync the entry
    inFlight.catch(() => undefined);
    const file = fileOf(store, 'una');
    syncer.fail = (what) => what === `file ${file}`;
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError); // the entry is rewritten all the same
    syncer.fail = undefined;
    // A batch flushing now waits for nothing the synchronous flush did not already settle: the key is
    // durable (rewritten), so its flush resolves. It waited for (and failed with) the flush in flight.
    await expect(store.flushPending()).resolves.toBeUndefined();
    expect(store.hasPending).toBe(false);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
  });

  it('flushPendingSync syncs, instead of rewriting, an entry whose fsync a flush in flight has not issued yet; that flush leaves it alone', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    linkedByAnother(store.directory, 'abe'); // a key read from the store: pending, to be synced
    const key = store.keyForSubject('abe');
    const file = fileOf(store, 'abe');
    const inode = statSync(file).ino;
    const inFlight = store.flushPending(); // has not issued its fsyncs yet
    store.flushPendingSync();
    expect(statSync(file).ino).toBe(inode); // synced, not rewritten
    await inFlight;
    expect(syncer.log.filter((l) => l === `file ${file}`)).toHaveLength(1);
    expect(store.hasPending).toBe(false);
    expect(reader(store.directory).keyForSubject('abe').id).toBe(key.id);
  });

  it('when that fsync fails, the flush in flight fails too', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    linkedByAnother(store.directory, 'bert');
    store.keyForSubject('bert');
    const file = fileOf(store, 'bert');
    const inFlight = store.flushPending();
    syncer.fail = (what) => what === `file ${file}`;
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
  });

  it('a flushPendingSync that returns while a flush in flight failed to write a key (taken over by an earlier flushPendingSync that failed) has made that key durable (batch A, released by it, used the key)', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ida'); // batch A's records are encrypted with it
    const shard = path.dirname(fileOf(store, 'ida'));
    writeFileSync(shard, 'not a directory'); // the entry cannot be written (a transient disk error)
    const inFlight = store.flushPending(); // batch A waits for it
    inFlight.catch(() => undefined);
    let error: unknown;
    try {
      store.flushPendingSync(); // took the creation over: failed
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyStoreIoError);
    expect(isRetryable(error)).toBe(true);
    rmSync(shard); // the disk is fine again
    // The subject is refused until its key is written (no more records encrypted with it).
    expect(() => store.keyForSubject('ida')).toThrow(KeyStoreWriteFailedError);
    // The flush in flight has not failed yet; a forced commit whose synchronous flush returns
    // releases batch A into the WAL: the key must be in the store by then.
    store.flushPendingSync();
    expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(store.hasPending).toBe(false);
    expect(reader(store.directory).keyForSubject('ida').id).toBe(key.id);
    expect(temporaries(store, 'ida')).toEqual([]);
  });

  it('the same when the thread pool could not write the key (the flush in flight is still syncing others)', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    // Two subjects in different shards: one entry cannot be written, the other's fsync is held.
    const subjects = Array.from({ length: 40 }, (_, i) => `jo-${i}`);
    const bad = subjects[0] as string;
    const good = subjects.find(
      (s) => path.dirname(fileOf(store, s)) !== path.dirname(fileOf(store, bad)),
    ) as string;
    const key = store.keyForSubject(bad);
    store.keyForSubject(good);
    const shard = path.dirname(fileOf(store, bad));
    writeFileSync(shard, 'not a directory');
    const release = syncer.hold();
    const entered = syncer.entered();
    const inFlight = store.flushPending(); // batch A: the write of `bad` fails, `good` is being synced
    inFlight.catch(() => undefined);
    await entered; // the writes are done (one failed); the fsyncs wait
    rmSync(shard);
    expect(() => store.keyForSubject(bad)).toThrow(KeyStoreWriteFailedError);
    store.flushPendingSync();
    expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
    release();
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(reader(store.directory).keyForSubject(bad).id).toBe(key.id);
  });

  it("a key handed out stays the subject's when its entry cannot be written: a batch that used it and flushes after that failure gets it written, not a resolved flush for a key that is nowhere", async () => {
    for (const flush of ['async', 'sync'] as const) {
      const store = open(new LoggingSyncer());
      const subject = `kim-${flush}`;
      const key = store.keyForSubject(subject); // batch A
      const shard = path.dirname(fileOf(store, subject));
      writeFileSync(shard, 'not a directory');
      const a = flush === 'async' ? store.flushPending() : undefined;
      // Batch B is encrypted with the key before batch A's flush has failed ...
      expect(store.keyForSubject(subject)).toBe(key);
      if (a) await expect(a).rejects.toBeInstanceOf(KeyStoreIoError);
      else expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError);
      rmSync(shard);
      // ... and calls its flush after: when that resolves, B's records may be stored.
      if (flush === 'async') await store.flushPending();
      else store.flushPendingSync();
      expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
      expect(reader(store.directory).keyForSubject(subject).id).toBe(key.id);
      expect(store.keyForSubject(subject).id).toBe(key.id);
      expect(temporaries(store, subject)).toEqual([]);
    }
  });

  it('an entry that cannot be written fails the flush (retryable); the disk repaired, the next flush writes the same key', async () => {
    for (const flush of ['async', 'sync'] as const) {
      const store = open(new LoggingSyncer());
      const subject = `ulla-${flush}`;
      const key = store.keyForSubject(subject);
      const shard = path.dirname(fileOf(store, subject));
      writeFileSync(shard, 'not a directory'); // the entry cannot be written there
      let error: unknown;
      try {
        if (flush === 'async') await store.flushPending();
        else store.flushPendingSync();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KeyStoreIoError);
      expect(isRetryable(error)).toBe(true);
      expect(store.hasPending).toBe(true); // the key is still to be written
      rmSync(shard);
      // The retried batch is refused until a flush has written the key (its refusal starts one).
      expect(() => store.keyForSubject(subject)).toThrow(KeyStoreWriteFailedError);
      await store.flushPending();
      expect(store.hasPending).toBe(false);
      expect(store.keyForSubject(subject).id).toBe(key.id); // then it uses it again
      expect(reader(store.directory).keyForSubject(subject).id).toBe(key.id);
    }
  });

  it('a key whose entry is not written yet stays the subject’s key when the cache drops it', async () => {
    const store = open(new LoggingSyncer(), undefined, { cacheEntriesMax: 1 });
    const key = store.keyForSubject('vera');
    store.keyForSubject('walt'); // evicts vera's key from the cache
    expect(store.keyForSubject('vera')).toBe(key);
    expect(store.keyById(key.id)).toBe(key);
    await store.flushPending();
    expect(reader(store.directory).keyForSubject('vera').id).toBe(key.id);
    expect(existsSync(alternateEntryPath(store.directory, key.id))).toBe(false);
  });

  it('entries of a flush still running count toward pendingEntriesMax after flushPendingSync did its work (they are held until it ends)', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer, undefined, { pendingEntriesMax: 2 });
    const release = syncer.hold(); // the thread pool's fsyncs do not complete (a stuck disk queue)
    store.keyForSubject('a');
    const entered = syncer.entered();
    const inFlight = store.flushPending();
    await entered;
    store.flushPendingSync(); // a forced commit: 'a' rewritten, durable; the flush in flight still holds it
    store.keyForSubject('b');
    expect(() => store.keyForSubject('c')).toThrow(KeyStoreBacklogError);
    release();
    await inFlight;
    store.keyForSubject('c'); // that flush has ended: room again
    await store.flushPending();
  });

  it('keys whose entry is not written yet count toward pendingEntriesMax', async () => {
    const store = open(new LoggingSyncer(), undefined, { pendingEntriesMax: 2 });
    store.keyForSubject('x');
    store.keyForSubject('y');
    expect(() => store.keyForSubject('z')).toThrow(KeyStoreBacklogError);
    await store.flushPending();
    expect(store.keyForSubject('z').id).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{12}$/);
    await store.flushPending();
  });
});
