/**
 * The race entryCreation.ts fences, played in a fixed order: a flush starts writing a new key's
 * entry on the thread pool and is held there (heldFs.ts) — at the open of its temporary file, or
 * once its link is issued — `flushPendingSync` takes the creation over, another process shreds the
 * subject (`keys shred`), then the thread pool's writing goes on. Before the fence, its link landed
 * after the shred and brought the shredded key back at the subject's name. Needs node:fs mocked with
 * `withHeldFs`.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { KeyStore } from '../KeyStore.ts';
import { SecretKeyRing } from '../SecretKey.ts';
import { fileOf, master } from './deferredStores.ts';
import { asyncLinksDone, holdNextTemporaryLink, holdNextTemporaryOpen } from './heldFs.ts';

/** The store as a process that only reads it (the CLI: `keys shred`) sees it. */
export const readerOf = (directory: string): KeyStore =>
  KeyStore.open({ directory, masterKeys: new SecretKeyRing([master], 'master'), create: false });

/** Where the thread pool's writing is held while the takeover and the shred run. */
export type HeldAt = 'open' | 'link';

/**
 * Plays the race for `subject` in `store` (opened with deferSync); `beforeRelease` runs after the
 * shred, before the thread pool's writing goes on. Returns the shredded key's id once the flush that
 * was writing it has settled (resolved: the takeover made it durable), having checked that no link
 * landed after the shred.
 */
export async function shredDuringTakeover(
  store: KeyStore,
  subject: string,
  heldAt: HeldAt,
  beforeRelease: () => void = () => undefined,
): Promise<string> {
  store.keyForSubject(subject);
  await store.flushPending(); // the subject's shard directory exists and is known
  store.shred(subject);
  const key = store.keyForSubject(subject); // a new key, its entry not written yet
  const held = heldAt === 'open' ? holdNextTemporaryOpen() : holdNextTemporaryLink();
  const inFlight = store.flushPending();
  const h = await held; // the thread pool's writing has begun: past its takeover check
  let linked: number;
  try {
    const file = 'file' in h ? h.file : h.from;
    expect(path.dirname(file)).toBe(path.dirname(fileOf(store, subject)));
    store.flushPendingSync(); // takes the creation over (fencing an issued link), links and syncs the key
    expect(readerOf(store.directory).shred(subject)).toBe(key.id);
    beforeRelease();
    linked = asyncLinksDone().length;
  } catch (err) {
    // A failed check must not leave the flush held for ever (a later close() of the store would wait for it).
    h.release();
    await inFlight.catch(() => undefined);
    throw err;
  }
  h.release(); // the rest of the thread pool's writing, after the shred
  await inFlight;
  expect(asyncLinksDone().slice(linked)).toEqual([]); // nothing linked after the shred
  return key.id;
}
