import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../pipeline/consumer.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreBacklogError, KeyStoreCorruptError, KeyStoreIoError } from './errors.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { deferredStores, fileOf, LoggingSyncer, master } from './testutil/deferredStores.ts';
import { randomSecretKey } from './testutil/keys.ts';

const tmp = makeTempDir('otel-audit-keystore-deferred-');
afterAll(() => tmp.cleanup());
const { open, openWithClock, linkedByAnother } = deferredStores(tmp.dir);

describe('KeyStore with deferSync', () => {
  it('creates a new key without writing or syncing it, then writes and syncs each file and each directory once in flushPending', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const subjects = Array.from({ length: 40 }, (_, i) => `patient-${i}`);
    const keys = subjects.map((s) => store.keyForSubject(s));
    expect(syncer.log).toEqual([]); // nothing synced on the record path
    expect(store.hasPending).toBe(true);
    // Not even written: the file work is the flush's, on the thread pool.
    for (const s of subjects) expect(existsSync(fileOf(store, s))).toBe(false);
    expect(store.keyForSubject('patient-0')).toBe(keys[0]); // the same key until it is written
    await store.flushPending();
    for (const s of subjects) expect(existsSync(fileOf(store, s))).toBe(true);
    expect(store.hasPending).toBe(false);
    const files = subjects.map((s) => `file ${fileOf(store, s)}`);
    const shards = new Set(subjects.map((s) => `dir ${path.dirname(fileOf(store, s))}`));
    const keysDir = `dir ${path.join(store.directory, 'keys')}`;
    expect(syncer.log.filter((l) => l.startsWith('file ')).sort()).toEqual(files.sort());
    expect(syncer.log.filter((l) => l.startsWith('dir ')).sort()).toEqual([...shards, keysDir].sort());
    // Nothing more to do: a second flush syncs nothing.
    const before = syncer.log.length;
    await store.flushPending();
    expect(syncer.log.length).toBe(before);
    // The keys are the ones on disk.
    const again = open(new LoggingSyncer(), store.directory);
    subjects.forEach((s, i) => expect(again.keyForSubject(s).id).toBe(keys[i]?.id));
  });

  it('a key read from the store on the record path is synced too (another process may not have synced it yet)', async () => {
    const first = open(new LoggingSyncer());
    const alice = linkedByAnother(first.directory, 'alice'); // another process a moment before its syncs
    const syncer = new LoggingSyncer();
    const second = open(syncer, first.directory);
    expect(second.keyForSubject('alice').id).toBe(alice.id);
    expect(second.hasPending).toBe(true);
    await second.flushPending();
    expect(syncer.log).toContain(`file ${fileOf(second, 'alice')}`);
    expect(syncer.log).toContain(`dir ${path.dirname(fileOf(second, 'alice'))}`);
  });

  it('without deferSync, a key read from the store is synced before keyForSubject returns it', () => {
    const first = open(new LoggingSyncer());
    linkedByAnother(first.directory, 'abel'); // linked by a deferring process, not synced yet
    const syncer = new LoggingSyncer();
    const second = KeyStore.open({
      directory: first.directory,
      masterKeys: new SecretKeyRing([master], 'master'),
      create: false,
      syncer,
    });
    second.keyForSubject('abel');
    const file = fileOf(second, 'abel');
    expect(syncer.log).toEqual([
      `file ${file}`,
      `dir ${path.dirname(file)}`,
      `dir ${path.join(second.directory, 'keys')}`,
    ]);
    expect(second.hasPending).toBe(false);
  });

  it('a key this process already made durable is not synced again when the cache reloads it (TTL)', async () => {
    const clock = { nowMs: 0 };
    const syncer = new LoggingSyncer();
    const store = openWithClock(syncer, clock);
    const key = store.keyForSubject('otto');
    await store.flushPending();
    const synced = syncer.log.length;
    clock.nowMs += 5_000; // expired: read from the store again
    expect(store.keyForSubject('otto').id).toBe(key.id);
    expect(store.hasPending).toBe(false); // every batch of known subjects would wait for fsyncs
    // A different key at that name (shredded and created again by another process) is synced.
    open(new LoggingSyncer(), store.directory).shred('otto');
    const replacement = linkedByAnother(store.directory, 'otto'); // not synced by its creator yet
    clock.nowMs += 5_000;
    expect(store.keyForSubject('otto').id).toBe(replacement.id);
    expect(store.hasPending).toBe(true);
    await store.flushPending();
    expect(syncer.log.slice(synced)).toContain(`file ${fileOf(store, 'otto')}`);
  });

  it('a key read by id (decryption) and then used to encrypt is synced too', async () => {
    const first = open(new LoggingSyncer());
    const id = linkedByAnother(first.directory, 'alma').id; // linked, never synced
    const syncer = new LoggingSyncer();
    const second = open(syncer, first.directory);
    expect(second.keyById(id)?.id).toBe(id); // cached on the way
    expect(second.keyForSubject('alma').id).toBe(id); // a cache hit must not skip the sync
    expect(second.hasPending).toBe(true);
    await second.flushPending();
    expect(syncer.log).toContain(`file ${fileOf(second, 'alma')}`);
  });

  it('a failed fsync rejects retryably and the entry is rewritten at once, not left undurable until the next batch', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('bob');
    const file = fileOf(store, 'bob');
    let inode = 0;
    let bytes = Buffer.alloc(0);
    syncer.fail = (what) => {
      if (what !== `file ${file}`) return false;
      inode = statSync(file).ino; // the entry the flush wrote
      bytes = readFileSync(file);
      return true;
    };
    const err = await store.flushPending().then(
      () => expect.unreachable('resolved'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeyStoreIoError);
    expect(isRetryable(err)).toBe(true);
    // Not fsynced again (a later fsync may succeed without the data on disk): rewritten (new inode).
    expect(statSync(file).ino).not.toBe(inode);
    expect(readFileSync(file)).toEqual(bytes);
    expect(store.hasPending).toBe(false);
    await store.flushPending(); // the batch's retry goes through with the same key
    expect(store.keyForSubject('bob')).toBe(key);
    expect(open(new LoggingSyncer(), store.directory).keyForSubject('bob').id).toBe(key.id);
  });

  it('an entry whose sync failed and that cannot be rewritten at once (store locked) stays pending; the next flush rewrites it', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('bea');
    const file = fileOf(store, 'bea');
    let inode = 0;
    syncer.fail = (what) => what === `file ${file}` && (inode = statSync(file).ino) > 0;
    const lock = path.join(store.directory, 'lock');
    writeFileSync(lock, '4242\n'); // a rewrap running elsewhere
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(store.hasPending).toBe(true);
    expect(statSync(file).ino).toBe(inode);
    rmSync(lock);
    // Still failing fsyncs of that file do not matter: it is not fsynced again but rewritten.
    await store.flushPending();
    expect(store.hasPending).toBe(false);
    expect(statSync(file).ino).not.toBe(inode);
    expect(open(new LoggingSyncer(), store.directory).keyForSubject('bea').id).toBe(key.id);
  });

  it("an entry whose sync failed and that a writer's temporary name still links is rewritten without it: that name is removed first", async () => {
    // Replaced behind that name, a writer's takeover would take the file it links for one never
    // linked (entryCreation.ts); without it, the takeover reads the entry instead.
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('bia');
    const file = fileOf(store, 'bia');
    const writer = path.join(path.dirname(file), '.tmp-writer');
    const unrelated = path.join(path.dirname(file), '.tmp-unrelated');
    let inode = 0;
    syncer.fail = (what) => {
      if (what !== `file ${file}`) return false;
      inode = statSync(file).ino;
      linkSync(file, writer); // a writer's temporary name, still linking the entry
      writeFileSync(unrelated, 'x');
      return true;
    };
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(existsSync(writer)).toBe(false);
    expect(existsSync(unrelated)).toBe(true); // another file: left alone
    expect(statSync(file).ino).not.toBe(inode); // rewritten at once (not fsynced again)
    expect(store.hasPending).toBe(false);
    expect(open(new LoggingSyncer(), store.directory).keyForSubject('bia').id).toBe(key.id);
  });

  it('bounds the keys not yet durable: on a disk whose syncs keep failing a new subject is refused (retryable), nothing written', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer, undefined, { pendingEntriesMax: 3 });
    syncer.fail = () => true; // every fsync fails (a failing disk)
    const lock = path.join(store.directory, 'lock');
    writeFileSync(lock, '4242\n'); // and the rewrites cannot happen either
    const known = ['a', 'b', 'c'].map((s) => store.keyForSubject(s));
    for (let i = 0; i < 3; i++) await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    for (let i = 0; i < 50; i++) {
      let error: unknown;
      try {
        store.keyForSubject(`new-${i}`);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KeyStoreBacklogError);
      expect(error).toMatchObject({ code: 'KEY_STORE_IO' });
      expect(isRetryable(error)).toBe(true);
      expect(existsSync(fileOf(store, `new-${i}`))).toBe(false); // refused before anything is written
    }
    // A key read from the store (another process's) would be pending too: refused as well, and not
    // cached (a cached key would later be used without being synced).
    const other = open(new LoggingSyncer(), store.directory);
    other.keyForSubject('from-elsewhere');
    expect(() => store.keyForSubject('from-elsewhere')).toThrow(KeyStoreBacklogError);
    expect(() => store.keyForSubject('from-elsewhere')).toThrow(KeyStoreBacklogError);
    // Subjects already pending are not refused: their records fail at the flush, as before.
    expect(store.keyForSubject('a').id).toBe(known[0]?.id);
    // The disk recovers: the failed entries are rewritten, and new subjects are accepted again.
    rmSync(lock);
    syncer.fail = undefined;
    await store.flushPending();
    expect(store.hasPending).toBe(false);
    expect(store.keyForSubject('new-0').id).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{12}$/);
    await store.flushPending();
  });

  it('refuses a pendingEntriesMax that is not a positive integer', () => {
    for (const pendingEntriesMax of [0, -1, 1.5, Number.NaN])
      expect(() => open(new LoggingSyncer(), undefined, { pendingEntriesMax })).toThrow(/pendingEntriesMax/);
  });

  it('a failed directory fsync fails the flush and rewrites every key in that directory, none in others', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const { shard, same, other } = twoInOneShardOneElsewhere((s) => path.dirname(fileOf(store, s)));
    const subjects = [...same, other];
    for (const s of subjects) store.keyForSubject(s);
    let inodes: number[] = [];
    syncer.fail = (what) => {
      if (what !== `dir ${shard}`) return false;
      inodes = subjects.map((s) => statSync(fileOf(store, s)).ino); // as the flush wrote them
      return true;
    };
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    // A rewritten entry cannot get its old inode back: its new file is created while the old one is still
    // linked (and held open until the rename, replaceFile), so both are allocated at once.
    const after = subjects.map((s) => statSync(fileOf(store, s)).ino);
    expect(after.map((ino, k) => ino !== inodes[k])).toEqual([true, true, false]);
    expect(store.hasPending).toBe(false);
  });

  it('the subjects of the test above: two in one shard and one in another, also when the first two drawn share one', () => {
    // Which shard a subject's entry goes to depends on each store's random index key. The test drew names
    // until two shared a shard and took the third from another shard drawn so far: when carol-0 and carol-1
    // shared one (1 store in 256), there was none, and it threw a TypeError (a flake, not a timing or
    // inode-reuse one).
    const shards: Record<string, string> = { 'carol-0': 'aa', 'carol-1': 'aa', 'carol-2': 'aa' };
    expect(twoInOneShardOneElsewhere((s) => shards[s] ?? 'bb')).toEqual({
      shard: 'aa',
      same: ['carol-0', 'carol-1'],
      other: 'carol-3',
    });
    const spread: Record<string, string> = { 'carol-0': 'aa', 'carol-1': 'bb', 'carol-2': 'bb' };
    expect(twoInOneShardOneElsewhere((s) => spread[s] ?? 'cc')).toEqual({
      shard: 'bb',
      same: ['carol-1', 'carol-2'],
      other: 'carol-0',
    });
  });

  it('a second flush waits for a key another flush is still syncing (a batch reusing a new key)', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const release = syncer.hold();
    store.keyForSubject('dave');
    const first = store.flushPending(); // batch 1 created dave's key; its syncs are held
    store.keyForSubject('dave'); // batch 2: a cache hit on that key
    let secondDone = false;
    const second = store.flushPending().then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(secondDone).toBe(false);
    expect(syncer.log).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(syncer.log).toContain(`file ${fileOf(store, 'dave')}`);
  });

  it('flushPendingSync syncs pending keys and rewrites (never fsyncs a second time) keys whose flush is still in flight', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const release = syncer.hold();
    const erin = store.keyForSubject('erin');
    const erinFile = fileOf(store, 'erin');
    const entered = syncer.entered();
    const inFlight = store.flushPending();
    await entered; // erin's entry is written, its fsync held
    const inodeBefore = statSync(erinFile).ino;
    store.keyForSubject('frank');
    store.flushPendingSync();
    // A second fsync of a file whose first one is in flight may report success after a write-back
    // error: erin's entry is written anew (same key) instead.
    expect(syncer.log).not.toContain(`file ${erinFile}`);
    expect(statSync(erinFile).ino).not.toBe(inodeBefore);
    expect(syncer.log).toContain(`file ${fileOf(store, 'frank')}`);
    expect(store.hasPending).toBe(false);
    release();
    await inFlight;
    expect(open(new LoggingSyncer(), store.directory).keyById(erin.id)?.id).toBe(erin.id);
  });

  it('shred of a subject whose key is pending destroys it durably; nothing is left to sync for it', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('gina');
    const file = fileOf(store, 'gina');
    expect(store.shred('gina')).toBe(key.id); // not written yet: it never will be
    expect(existsSync(file)).toBe(false);
    expect(store.hasPending).toBe(false);
    await store.flushPending();
    expect(syncer.log).toEqual([]);
    expect(store.keyForSubject('gina').id).not.toBe(key.id); // a new key, as after any shred
  });

  it('a shred never reports destroyed a key that a flush in flight is writing (it would be linked after): it fails, retryable, and destroys it once written', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('hugo');
    const inFlight = store.flushPending(); // the thread pool is writing the entry
    let destroyed: string | undefined;
    try {
      destroyed = store.shred('hugo');
    } catch (error) {
      expect(error).toBeInstanceOf(KeyStoreIoError);
      expect(isRetryable(error)).toBe(true);
    }
    await inFlight;
    destroyed ??= store.shred('hugo'); // the retry
    expect(destroyed).toBe(key.id);
    expect(open(new LoggingSyncer(), store.directory).keyById(key.id)).toBeUndefined();
    expect(store.keyById(key.id)).toBeUndefined();
    expect(store.keyForSubject('hugo').id).not.toBe(key.id);
    await store.flushPending();
  });

  it('a key whose sync failed, read again when its cache entry expires, is still rewritten, not fsynced again', async () => {
    const clock = { nowMs: 0 };
    const syncer = new LoggingSyncer();
    const store = openWithClock(syncer, clock);
    const key = store.keyForSubject('paul');
    const file = fileOf(store, 'paul');
    let inode = 0;
    // For good: a later fsync would lie.
    syncer.fail = (what) => what === `file ${file}` && (inode ||= statSync(file).ino) > 0;
    await failFlushWhileLocked(store);
    clock.nowMs += 5_000;
    expect(store.keyForSubject('paul').id).toBe(key.id); // read from the store again
    await store.flushPending(); // rewritten: the failing fsync is not tried again
    expect(statSync(file).ino).not.toBe(inode);
  });

  it('a key whose sync failed and that was shredded meanwhile is forgotten, not written back', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('hank');
    const file = fileOf(store, 'hank');
    syncer.fail = (what) => what === `file ${file}`;
    await failFlushWhileLocked(store);
    // Another process shreds the subject (the entry is gone from disk).
    open(new LoggingSyncer(), store.directory).shred('hank');
    // What this process encrypted with the key since the failure must not be stored: the flush fails.
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    await store.flushPending(); // once: the key is forgotten, not pending any more
    expect(existsSync(file)).toBe(false);
    expect(store.keyForSubject('hank').id).not.toBe(key.id);
  });

  it('a key whose sync failed and that another process replaced meanwhile fails the flush of what used it', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('iris');
    const file = fileOf(store, 'iris');
    syncer.fail = (what) => what === `file ${file}`;
    await failFlushWhileLocked(store);
    syncer.fail = undefined;
    // A batch retried meanwhile still gets the cached key and encrypts with it...
    expect(store.keyForSubject('iris')).toBe(key);
    // ...while another process replaces the entry (shred, then a new key for the subject).
    const other = open(new LoggingSyncer(), store.directory);
    other.shred('iris');
    const replacement = other.keyForSubject('iris');
    await other.flushPending();
    const replaced = readFileSync(file);
    // Resolving here would let that batch reach the WAL with a key no longer anywhere: undecryptable.
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(store.hasPending).toBe(false);
    expect(store.keyForSubject('iris').id).toBe(replacement.id); // the retry uses the store's key
    await store.flushPending();
    expect(readFileSync(file)).toEqual(replaced); // not written back over
    expect(open(new LoggingSyncer(), store.directory).keyForSubject('iris').id).toBe(replacement.id);
  });
});

describe('KeyStore: an entry a crash left torn', () => {
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['zero-filled', Buffer.alloc(310)],
  ] as const) {
    it(`(${name}) is replaced by a new key instead of failing the subject for ever`, async () => {
      const store = open(new LoggingSyncer());
      const file = fileOf(store, 'ivan');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, bytes);
      const key = store.keyForSubject('ivan');
      await store.flushPending();
      expect(open(new LoggingSyncer(), store.directory).keyForSubject('ivan').id).toBe(key.id);
    });
  }

  it('does not stop a rewrap: the torn entry is removed, the others are rewrapped', () => {
    const store = open(new LoggingSyncer());
    const kept = store.keyForSubject('kate');
    store.flushPendingSync();
    const file = fileOf(store, 'ivan');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(310));
    const next = randomSecretKey();
    const rotated = KeyStore.open({
      directory: store.directory,
      masterKeys: new SecretKeyRing([next, master], 'master'),
      create: false,
    });
    expect(rotated.rewrap()).toBe(2); // store.json and kate's entry
    expect(existsSync(file)).toBe(false);
    const onlyNext = KeyStore.open({
      directory: store.directory,
      masterKeys: new SecretKeyRing([next], 'master'),
      create: false,
    });
    expect(onlyNext.keyById(kept.id)?.id).toBe(kept.id);
  });

  it('any other unreadable entry is still KEY_STORE_CORRUPT (never silently replaced)', () => {
    const store = open(new LoggingSyncer());
    const file = fileOf(store, 'judy');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"not": "an entry"}');
    expect(() => store.keyForSubject('judy')).toThrow(KeyStoreCorruptError);
    expect(readFileSync(file, 'utf8')).toBe('{"not": "an entry"}');
  });
});

/**
 * A flush whose key fsync fails while another process holds the store lock: the entry cannot be
 * rewritten at once, so the key stays pending, marked failed (the lock is then released).
 */
async function failFlushWhileLocked(store: KeyStore): Promise<void> {
  const lock = path.join(store.directory, 'lock');
  writeFileSync(lock, '4242\n');
  await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreIoError);
  rmSync(lock);
}

/**
 * Subjects `carol-<i>`, drawn in order until two share a shard directory (`shardOf`) and another is in a
 * different one: the first two of that shard, and the first subject elsewhere.
 */
function twoInOneShardOneElsewhere(shardOf: (subject: string) => string): {
  shard: string;
  same: [string, string];
  other: string;
} {
  const byShard = new Map<string, string[]>();
  const pair = (): [string, string[]] | undefined => [...byShard].find(([, l]) => l.length >= 2);
  for (let i = 0; pair() === undefined || byShard.size < 2; i++) {
    const s = `carol-${i}`;
    const shard = shardOf(s);
    byShard.set(shard, [...(byShard.get(shard) ?? []), s]);
  }
  const [shard, list] = pair() as [string, string[]];
  const other = [...byShard].find(([d]) => d !== shard)?.[1][0] as string;
  return { shard, same: [list[0] as string, list[1] as string], other };
}
