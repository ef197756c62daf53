/**
 * The race fcebddd and 672d78f fixed (entryCreation.ts, `createEntry`), played in a fixed order: a
 * flush starts writing a new key's entry on the thread pool (past its takeover check, the open of
 * its temporary file held: heldFs.ts), `flushPendingSync` takes the creation over and links its
 * own copy, another process shreds the subject, then the thread pool's writing goes on: its link
 * succeeds (the name is free again) and would bring the shredded key back. Needs node:fs mocked
 * with `withHeldFs`.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { KeyStore } from '../KeyStore.ts';
import { SecretKeyRing } from '../SecretKey.ts';
import { fileOf, master } from './deferredStores.ts';
import { asyncLinksDone, holdNextTemporaryOpen } from './heldFs.ts';

/** The store as a process that only reads it (the CLI: `keys shred`) sees it. */
export const readerOf = (directory: string): KeyStore =>
  KeyStore.open({ directory, masterKeys: new SecretKeyRing([master], 'master'), create: false });

/**
 * Plays the race for `subject` in `store` (opened with deferSync); `beforeLink` runs after the shred,
 * before the thread pool's writing goes on. Returns the shredded key's id once the flush that was
 * writing it has settled (resolved: the takeover made it durable), having checked that this writing
 * did link the entry again after the shred.
 */
export async function relinkAfterShred(
  store: KeyStore,
  subject: string,
  beforeLink: () => void = () => undefined,
): Promise<string> {
  store.keyForSubject(subject);
  await store.flushPending(); // the subject's shard directory exists and is known
  store.shred(subject);
  const key = store.keyForSubject(subject); // a new key, its entry not written yet
  const held = holdNextTemporaryOpen();
  const inFlight = store.flushPending();
  const open = await held; // the thread pool's writing has begun: past its takeover check
  let linked: number;
  try {
    expect(path.dirname(open.file)).toBe(path.dirname(fileOf(store, subject)));
    store.flushPendingSync(); // takes the creation over, links and syncs its own copy
    expect(readerOf(store.directory).shred(subject)).toBe(key.id);
    beforeLink();
    linked = asyncLinksDone().length;
  } catch (err) {
    // A failed check must not leave the flush held for ever (a later close() of the store would wait for it).
    open.release();
    await inFlight.catch(() => undefined);
    throw err;
  }
  open.release(); // the open, write, close and link of the temporary file, after the shred
  await inFlight;
  // The race did happen: the thread pool linked the shredded key at the subject's name again.
  expect(asyncLinksDone().slice(linked)).toEqual([fileOf(store, subject)]);
  return key.id;
}
