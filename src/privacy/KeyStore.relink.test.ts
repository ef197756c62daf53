/**
 * KeyStore with deferSync when a shred (another process: `keys shred`) races this process's writing of
 * a new key's entry, with file operations failing or interleaved on purpose (node:fs mocked). A
 * shredded key must never come back: not through the thread pool's link of an entry a synchronous
 * flush took over (fenced: internal/entryCreation.ts), not after a restart.
 */
import * as fs from 'node:fs';
import { existsSync, linkSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreClosedError, KeyStoreIoError } from './errors.ts';
import type { KeyStore } from './KeyStore.ts';
import { RecordDecryptor, SHREDDED_MARKER } from './RecordDecryptor.ts';
import { encryptValue } from './encryptedValue.ts';
import { replaceFile } from './internal/durableFiles.ts';
import { deferredStores, fileOf, LoggingSyncer } from './testutil/deferredStores.ts';
import { asyncLinksDone, holdNextTemporaryLink, resetHeldFs, type HeldLink } from './testutil/heldFs.ts';
import { readerOf as reader, shredDuringTakeover } from './testutil/shredDuringTakeover.ts';

/**
 * `unlinkFails(file)`: unlinkSync of that file fails with EIO. `linkBeforeUnlink`: a held link of a
 * temporary file (heldFs.ts) runs (for real) just before an unlinkSync of that file — the thread
 * pool's link landing between a shred's overwrite of the file and its unlink.
 */
const hooks = vi.hoisted(() => ({
  unlinkFails: undefined as ((file: string) => boolean) | undefined,
  linkBeforeUnlink: undefined as { readonly from: string; readonly to: string } | undefined,
  /** Runs (once) right after a renameSync of this file: other processes acting inside a takeover. */
  afterRename: undefined as { readonly from: string; readonly run: (to: string) => void } | undefined,
  /** Runs (once) right before a linkSync from a temporary file. */
  beforeTemporaryLinkSync: undefined as (() => void) | undefined,
  /** Runs (once) right before an openSync of this file for writing ('r+': a destruction). */
  beforeOpenForWrite: undefined as { readonly file: string; readonly run: () => void } | undefined,
  /** The next linkSync from this file is not run (the test ran it earlier, through a hook). */
  linkSyncDone: undefined as string | undefined,
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
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      real.renameSync(from, to);
      const after = hooks.afterRename;
      if (after?.from === String(from)) {
        hooks.afterRename = undefined;
        after.run(String(to));
      }
    },
    linkSync: (from: fs.PathLike, to: fs.PathLike) => {
      const before = hooks.beforeTemporaryLinkSync;
      if (before !== undefined && path.basename(String(from)).startsWith('.tmp-')) {
        hooks.beforeTemporaryLinkSync = undefined;
        before();
      }
      if (hooks.linkSyncDone === String(from)) {
        hooks.linkSyncDone = undefined;
        return;
      }
      real.linkSync(from, to);
    },
    openSync: (file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      const before = hooks.beforeOpenForWrite;
      if (before?.file === String(file) && flags === 'r+') {
        hooks.beforeOpenForWrite = undefined;
        before.run();
      }
      return real.openSync(file, flags ?? 'r', mode);
    },
  };
});

const tmp = makeTempDir('otel-audit-keystore-relink-');
afterAll(() => tmp.cleanup());
afterEach(() => {
  hooks.unlinkFails = undefined;
  hooks.linkBeforeUnlink = undefined;
  hooks.afterRename = undefined;
  hooks.beforeTemporaryLinkSync = undefined;
  hooks.beforeOpenForWrite = undefined;
  hooks.linkSyncDone = undefined;
  resetHeldFs();
  vi.useRealTimers();
});
const { open } = deferredStores(tmp.dir);

/** The temporary files left in the subject's shard directory. */
const temporaries = (store: KeyStore, subject: string): string[] =>
  readdirSync(path.dirname(fileOf(store, subject))).filter((n) => n.startsWith('.tmp-'));

/** A flush of `store` whose thread-pool link of the (first) new entry is issued and held. */
async function flushHeldAtLink(store: KeyStore): Promise<{ held: HeldLink; inFlight: Promise<void> }> {
  const holding = holdNextTemporaryLink();
  const inFlight = store.flushPending();
  return { held: await holding, inFlight };
}

/** A store left locked, as a crashed shred leaves it: before the fence, the destruction of a key linked back failed. */
const lockStore = (store: KeyStore): string => {
  const lock = path.join(store.directory, 'lock');
  fs.writeFileSync(lock, '4242\n');
  return lock;
};

describe('KeyStore: a shred during a synchronous takeover of a new entry being written', () => {
  for (const heldAt of ['open', 'link'] as const) {
    it(`held at its ${heldAt}: the thread pool's writing links nothing after the shred; a store opened again does not return the key (the store locked meanwhile)`, async () => {
      const errors: KeyStoreIoError[] = [];
      const store = open(new LoggingSyncer(), undefined, { onError: (e) => errors.push(e) });
      let lock = '';
      // Locked as by a crashed shred: before the fence, the key linked back could not be destroyed,
      // and a process stopping then left it for the next one to hand out.
      const keyId = await shredDuringTakeover(
        store,
        `sid-${heldAt}`,
        heldAt,
        () => (lock = lockStore(store)),
      );
      const file = fileOf(store, `sid-${heldAt}`);
      expect(existsSync(file)).toBe(false);
      const restarted = open(new LoggingSyncer(), store.directory); // a restart on the same directory
      expect(restarted.keyById(keyId)).toBeUndefined();
      expect(reader(store.directory).keyById(keyId)).toBeUndefined();
      expect(temporaries(store, `sid-${heldAt}`)).toEqual([]);
      expect(errors).toEqual([]);
      fs.rmSync(lock);
      expect(restarted.keyForSubject(`sid-${heldAt}`).id).not.toBe(keyId); // the subject gets a new key
      await restarted.flushPending();
    });
  }

  it('held at its open, the destruction failing (EIO): the key is not back either', async () => {
    const store = open(new LoggingSyncer());
    const file = fileOf(store, 'sam');
    const keyId = await shredDuringTakeover(store, 'sam', 'open', () => {
      hooks.unlinkFails = (f) => f === file;
    });
    hooks.unlinkFails = undefined;
    expect(existsSync(file)).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
  });

  it('the link landed before the takeover (its outcome not seen yet), no shred: the takeover keeps that entry, links nothing', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('lea');
    const { held, inFlight } = await flushHeldAtLink(store);
    linkSync(held.from, held.to); // the thread pool's link ran; its callback has not
    const ino = statSync(held.to).ino;
    store.flushPendingSync();
    expect(statSync(held.to).ino).toBe(ino); // the same file, not a copy linked by the takeover
    expect(syncer.log).toContain(`file ${held.to}`);
    held.complete(null);
    await inFlight;
    expect(reader(store.directory).keyForSubject('lea').id).toBe(key.id);
    expect(temporaries(store, 'lea')).toEqual([]);
  });

  it('the link landed and a shred destroyed its entry before the takeover: the key is given up, never linked again (the store locked)', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('lou');
    const { held, inFlight } = await flushHeldAtLink(store);
    linkSync(held.from, held.to); // landed, its outcome not seen here yet
    expect(reader(store.directory).shred('lou')).toBe(key.id); // keys shred destroys it
    const lock = lockStore(store);
    expect(() => store.flushPendingSync()).toThrow(/given up: its entry .* was destroyed/);
    held.complete(null);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError); // its batch used the key
    expect(existsSync(held.to)).toBe(false);
    expect(reader(store.directory).keyById(key.id)).toBeUndefined();
    fs.rmSync(lock);
    await new Promise((r) => setImmediate(r)); // flushes of the turn that gave the key up fail (test below)
    const next = store.keyForSubject('lou');
    expect(next.id).not.toBe(key.id);
    await store.flushPending();
    expect(reader(store.directory).keyForSubject('lou').id).toBe(next.id);
    expect(temporaries(store, 'lou')).toEqual([]);
  });

  it('the temporary file removed by another process (a rewrap) while its link is issued: the key is given up', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('rex');
    const { held, inFlight } = await flushHeldAtLink(store);
    unlinkSync(held.from);
    expect(() => store.flushPendingSync()).toThrow(/given up/);
    held.release(); // ENOENT
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(existsSync(held.to)).toBe(false);
    expect(store.keyForSubject('rex').id).not.toBe(key.id);
    await store.flushPending();
  });

  it('a batch that got the key before a synchronous flush gave it up, and flushes later in that turn, fails (the key is nowhere)', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ida');
    const { held, inFlight } = await flushHeldAtLink(store);
    unlinkSync(held.from); // a rewrap (another process) removed the temporary file: the link fails, nothing lands
    // One event-loop turn: a batch gets the key (the cache), another runner's synchronous flush gives it
    // up, then the batch flushes (KeyStore.ts: "in the same event-loop turn"; microtasks count).
    expect(store.keyForSubject('ida').id).toBe(key.id);
    expect(() => store.flushPendingSync()).toThrow(/given up/);
    expect(store.hasPending).toBe(true); // audit_encrypt asks this before it flushes at all
    const late = store.flushPending();
    late.catch(() => undefined);
    expect(() => store.flushPendingSync()).toThrow(/given up/); // a strict runner's batch of that turn too
    held.release(); // ENOENT
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    // Resolved, its records (encrypted with a key that is in no file) would be acknowledged: lost.
    await expect(late).rejects.toBeInstanceOf(KeyStoreIoError);
    expect(existsSync(fileOf(store, 'ida'))).toBe(false);
    await new Promise((r) => setImmediate(r)); // the next turn: no batch can hold the key any more
    const next = store.keyForSubject('ida');
    expect(next.id).not.toBe(key.id);
    await store.flushPending();
    store.flushPendingSync();
    expect(reader(store.directory).keyForSubject('ida').id).toBe(next.id);
  });

  it('the link landed, a rewrap replaced the entry, then a shred destroyed it, all inside the takeover: the key is given up, never linked again', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ivo');
    const { held, inFlight } = await flushHeldAtLink(store);
    linkSync(held.from, held.to); // landed, its outcome not seen here yet: the entry holds the key
    // Other processes run between the takeover's steps: right after its fence (the rename), a rewrap
    // replaces the entry (a new file renamed over it: the fenced file is left with one link, intact);
    // right before its own link of the fenced file, `keys shred` destroys the entry and the fenced file.
    hooks.afterRename = {
      from: held.from,
      run: () => {
        const copy = `${held.to}.rewrapped`;
        fs.writeFileSync(copy, fs.readFileSync(held.to));
        fs.renameSync(copy, held.to);
      },
    };
    // The shred's outcome is checked after the flush: an expect failing inside the hook is thrown from
    // linkSync, and the takeover takes it for a failed link and gives the key up (the test passed anyway).
    let shredded: unknown = 'the shred did not run';
    hooks.beforeTemporaryLinkSync = () => {
      shredded = reader(store.directory).shred('ivo');
    };
    expect(() => store.flushPendingSync()).toThrow(/given up/);
    expect(shredded).toBe(key.id); // the shred ran there, and destroyed the key
    held.complete(null);
    await expect(inFlight).rejects.toBeInstanceOf(KeyStoreIoError);
    await new Promise((r) => setImmediate(r));
    // Later flushes (a new key for the subject) never write the shredded key again.
    const next = store.keyForSubject('ivo');
    expect(next.id).not.toBe(key.id);
    await store.flushPending();
    await store.flushPending();
    expect(reader(store.directory).keyById(key.id)).toBeUndefined();
    expect(reader(store.directory).keyForSubject('ivo').id).toBe(next.id);
    expect(temporaries(store, 'ivo')).toEqual([]);
  });

  it('the link landed, a rewrap replaced the entry, then a shred ran while the takeover linked the fenced file: the shredded key is not back', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ivy');
    const { held, inFlight } = await flushHeldAtLink(store);
    linkSync(held.from, held.to); // landed, its outcome not seen here yet: the entry holds the key
    let fenced = '';
    // A rewrap (another process) that listed the directory before the fence replaces the entry right
    // after the fence's rename (rewrap.ts: replaceFile). Before replaceFile removed the temporary names
    // of the file it replaced, the fenced file was left with one link, intact, and the takeover linked
    // it — while `keys shred` ran: the shred destroyed the entry (the rewrapped copy) and was about to
    // destroy the fenced file when the takeover's link landed (two links: left alone, as a writer's
    // file just linked). Whatever the takeover does now, the key must not be readable after the shred.
    hooks.afterRename = {
      from: held.from,
      run: (to) => {
        fenced = to;
        replaceFile(held.to, fs.readFileSync(held.to));
      },
    };
    // The shred's outcome is kept and checked after the flush: an expect failing inside the hook was
    // thrown into the takeover, which gave the key up (caught below): the test passed anyway.
    let shredded: { result: unknown } | undefined;
    hooks.beforeTemporaryLinkSync = () => {
      hooks.beforeOpenForWrite = {
        file: fenced,
        run: () => {
          linkSync(fenced, held.to); // the takeover's link, landing now
          hooks.linkSyncDone = fenced;
        },
      };
      shredded = { result: reader(store.directory).shred('ivy') };
    };
    try {
      store.flushPendingSync();
    } catch {
      // given up: fine
    }
    expect(fenced).not.toBe(''); // the takeover did fence the link
    // keys shred, now if the takeover left it no moment to run in.
    shredded ??= { result: reader(store.directory).shred('ivy') };
    expect(shredded.result).toBe(key.id);
    held.complete(null);
    await inFlight.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    await store.flushPending().catch(() => undefined);
    expect(reader(store.directory).keyById(key.id)).toBeUndefined();
    expect(existsSync(held.to) && fs.readFileSync(held.to).includes(key.id)).toBe(false);
    expect(temporaries(store, 'ivy')).toEqual([]);
  });

  it('the link landed and a rewrap replaced the entry right after the fence (its temporary names removed): the takeover keeps the key', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    const key = store.keyForSubject('ilo');
    const { held, inFlight } = await flushHeldAtLink(store);
    linkSync(held.from, held.to); // landed, its outcome not seen here yet
    hooks.afterRename = { from: held.from, run: () => replaceFile(held.to, fs.readFileSync(held.to)) };
    store.flushPendingSync(); // the fenced file is gone, the entry holds the key: kept, not given up
    expect(syncer.log).toContain(`file ${held.to}`);
    held.complete(null);
    await inFlight;
    expect(store.keyForSubject('ilo').id).toBe(key.id);
    expect(reader(store.directory).keyForSubject('ilo').id).toBe(key.id);
    expect(temporaries(store, 'ilo')).toEqual([]);
  });

  it('an entry the thread pool linked (its flush still running) and a shred destroyed is not linked again by a takeover', async () => {
    const store = open(new LoggingSyncer());
    const a = store.keyForSubject('ana');
    const b = store.keyForSubject('ben');
    const { held, inFlight } = await flushHeldAtLink(store); // one of the two links is held, the other lands
    const [landed, other] = held.to === fileOf(store, 'ana') ? [b, 'ben'] : [a, 'ana'];
    const landedFile = fileOf(store, other);
    const waitUntil = Date.now() + 10_000; // the other link lands (a loaded machine: a while)
    while (!asyncLinksDone().includes(landedFile) && Date.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 2));
    expect(asyncLinksDone()).toContain(landedFile);
    await new Promise((r) => setImmediate(r)); // its outcome seen: linked, the flush still running
    expect(reader(store.directory).shred(other)).toBe(landed.id);
    const lock = lockStore(store);
    store.flushPendingSync(); // takes both over: the landed one is not linked again
    held.complete(null);
    await inFlight.catch(() => undefined);
    expect(existsSync(landedFile)).toBe(false);
    expect(reader(store.directory).keyById(landed.id)).toBeUndefined();
    fs.rmSync(lock);
  });

  it('close during the race waits for the flush in flight; it refuses new work from the call on', async () => {
    const store = open(new LoggingSyncer());
    let closed: Promise<void> | undefined;
    let ended = false;
    const keyId = await shredDuringTakeover(store, 'uma', 'link', () => {
      closed = store.close(); // the shutdown begins while the thread pool still has to link the entry
      void closed.then(() => (ended = true));
      expect(() => store.keyForSubject('other')).toThrow(KeyStoreClosedError);
      expect(() => store.shred('other')).toThrow(KeyStoreClosedError);
      expect(() => store.keyById(`${'0'.repeat(32)}.000000000000`)).toThrow(KeyStoreClosedError);
    });
    await closed;
    expect(ended).toBe(true);
    expect(existsSync(fileOf(store, 'uma'))).toBe(false);
    expect(reader(store.directory).keyById(keyId)).toBeUndefined();
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreClosedError);
    expect(() => store.flushPendingSync()).toThrow(KeyStoreClosedError);
  });
});

describe('KeyStore: a shred racing the link of a new entry', () => {
  it('the link landing between the overwrite and the unlink of the temporary file leaves no zero-filled entry: the key reads as shredded, not damaged', async () => {
    const store = open(new LoggingSyncer());
    const key = store.keyForSubject('ria');
    const value = encryptValue('secret', key.id, key.key, { path: ['body'], timeUnixNano: 1n });
    const { held, inFlight } = await flushHeldAtLink(store); // the temporary file written, its link held
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
