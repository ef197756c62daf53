/**
 * KeyStore with deferSync: a new key whose entry keeps failing to be written fails the batches of its
 * subject only — never a flush whose batch may hold records encrypted with it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../pipeline/consumer.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreIoError, KeyStoreWriteFailedError } from './errors.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { deferredStores, fileOf, LoggingSyncer, master } from './testutil/deferredStores.ts';

const tmp = makeTempDir('otel-audit-keystore-failing-');
afterAll(() => tmp.cleanup());
const { open } = deferredStores(tmp.dir);

const reader = (directory: string): KeyStore =>
  KeyStore.open({ directory, masterKeys: new SecretKeyRing([master], 'master'), create: false });

const shardOf = (store: KeyStore, subject: string): string => path.dirname(fileOf(store, subject));

/** `count` subjects whose entries go to other shard directories than `subject`'s. */
function otherShards(store: KeyStore, subject: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    if (shardOf(store, `other-${i}`) !== shardOf(store, subject)) out.push(`other-${i}`);
  return out;
}

/** Makes the entries of `subject`'s shard impossible to write (a file where the directory goes). */
function blockShard(store: KeyStore, subject: string): () => void {
  const shard = shardOf(store, subject);
  writeFileSync(shard, 'not a directory');
  return () => rmSync(shard);
}

describe('KeyStore: a new key whose entry cannot be written', () => {
  it("fails its subject's records (retryable, reported once), not the batches of other subjects; written once the disk allows, same key", async () => {
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
    const key = store.keyForSubject('xena'); // batch 1
    const unblock = blockShard(store, 'xena');
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError); // batch 1 fails
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KeyStoreWriteFailedError);
    let refusal: unknown;
    try {
      store.keyForSubject('xena'); // batch 1 again, or any batch with the subject
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(KeyStoreWriteFailedError);
    expect(refusal).toMatchObject({ code: 'KEY_STORE_IO' });
    expect(isRetryable(refusal)).toBe(true);
    // The refusal started a flush writing the key again (failing): once it has settled, a turn later,
    // no batch can be waiting for the key any more.
    await store.flushPending().catch(() => undefined);
    await delay(1);
    // Batches of other subjects (new or known) go on while the key still cannot be written.
    for (const subject of otherShards(store, 'xena', 3)) {
      store.keyForSubject(subject);
      await expect(store.flushPending()).resolves.toBeUndefined();
      expect(reader(store.directory).keyForSubject(subject).id).toBe(store.keyForSubject(subject).id);
    }
    expect(() => store.keyForSubject('xena')).toThrow(KeyStoreWriteFailedError);
    expect(errors).toHaveLength(1); // reported once, not per batch
    unblock();
    await store.flushPending(); // waits for the flush the refusal above started (which failed to write it)
    await store.flushPending(); // the next batch's flush writes it
    expect(store.keyForSubject('xena').id).toBe(key.id); // never given up: records used it
    expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
    expect(store.hasPending).toBe(false);
  });

  it('batches of other subjects go on also when each flushes in the microtasks after the previous one failed (a producer awaiting each write)', async () => {
    const store = open(new LoggingSyncer(), undefined, { onError: () => undefined });
    store.keyForSubject('ivy');
    const unblock = blockShard(store, 'ivy');
    const outcomes: string[] = [];
    // No turn between one flush failing and the next starting: only the flushes that may carry a
    // batch holding the key (started before its refusal, or in that turn) keep it charged.
    for (const subject of otherShards(store, 'ivy', 30)) {
      store.keyForSubject(subject);
      outcomes.push(
        await store.flushPending().then(
          () => 'stored',
          () => 'failed',
        ),
      );
      if (outcomes.at(-1) === 'stored') break;
    }
    expect(outcomes.at(-1)).toBe('stored'); // old code: 30 of 30 failed (the key charged for ever)
    expect(outcomes.length).toBeLessThan(10);
    expect(() => store.keyForSubject('ivy')).toThrow(KeyStoreWriteFailedError);
    unblock();
    await store.flushPending().catch(() => undefined);
    await store.flushPending();
  });

  it('a batch that got the key before a synchronous flush failed to write it, flushing later in the same turn, still fails', async () => {
    const store = open(new LoggingSyncer());
    store.keyForSubject('lea'); // batch A's records are encrypted with it
    const unblock = blockShard(store, 'lea');
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError); // a forced commit (batch B)
    // Batch A calls its flush in the same turn: resolving would store records under a key that is nowhere.
    const a = store.flushPending();
    await expect(a).rejects.toBeInstanceOf(KeyStoreIoError);
    unblock();
    await store.flushPending();
  });

  it('a flush started in the turn of the refusal (its batch got the key before) keeps the key charged until it settles', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    store.keyForSubject('max'); // batch B's records are encrypted with it
    const [other] = otherShards(store, 'max', 1) as [string];
    const unblock = blockShard(store, 'max');
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError); // a forced commit (batch A): refused now
    store.keyForSubject(other); // batch C, same turn: its entry's fsync is held below
    const release = syncer.hold();
    const entered = syncer.entered();
    const b = store.flushPending(); // B's (and C's) flush, same turn: writing the key fails; other's fsync waits
    b.catch(() => undefined);
    await entered;
    await delay(5); // turns later, B's flush not settled: B is still held by the in-process writer
    // A forced commit whose synchronous flush returned would hand B down into the WAL.
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError);
    release();
    await expect(b).rejects.toBeInstanceOf(KeyStoreIoError);
    unblock();
    await store.flushPending().catch(() => undefined);
    await store.flushPending();
  });

  it('a synchronous flush still fails for the key while a flush that tried to write it has not settled (a batch waiting for it would be released)', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('kai');
    const [other] = otherShards(store, 'kai', 1) as [string];
    store.keyForSubject(other);
    const unblock = blockShard(store, 'kai');
    const release = syncer.hold();
    const entered = syncer.entered();
    const inFlight = store.flushPending(); // kai's entry fails; other's fsync is held: not settled
    inFlight.catch(() => undefined);
    await entered;
    await delay(5); // turns later
    expect(() => store.flushPendingSync()).toThrow(KeyStoreIoError);
    release();
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    await delay(5); // that flush has settled, a turn ago: no batch can be waiting for the key
    store.flushPendingSync(); // other batches go on
    expect(() => store.keyForSubject('kai')).toThrow(KeyStoreWriteFailedError);
    unblock();
    store.flushPendingSync();
    expect(store.keyForSubject('kai').id).toBe(key.id);
  });

  it('once written in the background its fsync counts again: a batch that got the key after it was written fails with that fsync', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('noa');
    const [other, next] = otherShards(store, 'noa', 2) as [string, string];
    const unblock = blockShard(store, 'noa');
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    await delay(1); // background from now on
    unblock();
    const file = fileOf(store, 'noa');
    let failed = false; // its first fsync fails (a later one may then report success, data not on disk)
    syncer.fail = (what) => what === `file ${file}` && !failed && (failed = true);
    const lock = path.join(store.directory, 'lock');
    writeFileSync(lock, '4242\n'); // and the entry cannot be rewritten at once (a shred elsewhere)
    const release = syncer.hold();
    const entered = syncer.entered();
    store.keyForSubject(other);
    const x = store.flushPending(); // batch X (another subject) writes the key; its fsyncs wait
    x.catch(() => undefined);
    await entered;
    expect(store.keyForSubject('noa').id).toBe(key.id); // written: batch Y gets the key again
    store.keyForSubject(next);
    const y = store.flushPending();
    release();
    await expect(y).rejects.toBeInstanceOf(KeyStoreIoError);
    rmSync(lock);
    await store.flushPending(); // rewritten
    expect(reader(store.directory).keyById(key.id)?.id).toBe(key.id);
  });
});
