/**
 * Writing a new key store entry off the record path (a KeyStore opened with
 * `deferSync`): `keyForSubject` hands out the new key at once and leaves its
 * entry to be written by the next flush, on the thread pool
 * (`createEntry`), or blocking by a synchronous flush (`createEntrySync`,
 * which also takes over a creation the thread pool is still doing). Either
 * way the entry is then synced before anything encrypted with the key is made
 * durable (pendingEntries.ts).
 *
 * The entry goes to the subject's name (`<ref>.json`), no-clobber. If that
 * name already holds another key — another process created the subject's
 * first key meanwhile — the key cannot be given up (records were encrypted
 * with it), so it goes to its alternate name (`<key id>.json`, unique), where
 * decryption finds it by id and a shred of the subject destroys it
 * (keyStoreFormat.ts). Both functions accept finding the key itself at either
 * name (the other one got there first).
 *
 * A shredded key never comes back through a takeover. The thread pool writes
 * a temporary file, then links it; the main thread checks for a takeover
 * just before it issues the link, and a takeover while a link is issued (its
 * outcome not seen yet) first FENCES it: it renames the temporary file away
 * (`renameTemporary`), so the link has either run already or fails (ENOENT)
 * — it cannot land later, after a shred has freed the name. The renamed file
 * then tells what happened (`fenceAndTake`): still linked elsewhere (2 links)
 * — the link landed and its entry is there; zero-filled — the link landed
 * and a shred destroyed the entry (`destroyFile` overwrites the shared data)
 * — the key is given up (`CreationAbandonedError`: it must not be linked
 * again; every flush until the end of that event-loop turn fails,
 * pendingEntries.ts `abandonedInTurn`); intact with 1 link — the link has not run (it landed nowhere: a
 * rewrap removes temporary names before it replaces an entry, and so does
 * pendingEntries.ts's rewrite of an entry a temporary name links), so the
 * takeover links that same file itself — or it landed and its entry was
 * replaced by a rename since (a rewrap, a rewrite): the name then holds the
 * key, unless a shred destroyed it meanwhile; so a failure of that link
 * gives the key up too, it is never queued to be linked again. A takeover after the link's outcome
 * was seen never links again either (`done`: the entry may have been
 * shredded since). So no link of a key can follow a shred that destroyed it,
 * and a crash (kill -9) at any point leaves nothing to repair: an entry of
 * the key exists only where a link made before that shred put it.
 */
import { KeyStoreIoError } from '../errors.ts';
import {
  discardTemporary,
  linkExisting,
  linkFileOnce,
  linksAndBytes,
  linkTemporaryAsync,
  readSmallFile,
  readSmallFileAsync,
  removeTemporaryAsync,
  renameTemporary,
  writeTemporaryAsync,
} from './durableFiles.ts';
import { parseEntryFile, STORE_FILE_BYTES_MAX } from './keyStoreFormat.ts';

export interface EntryCreation {
  /** The entry file's bytes. */
  readonly bytes: Buffer;
  /** Where it goes if the subject's name holds another key. */
  readonly alternateFile: string;
  /**
   * `queued`: not started (a flush starts it); `running`: on the thread pool; `done`: linked at
   * `file`; `takenOver`: a synchronous flush did (or failed) it, the thread pool's result is ignored.
   */
  state: 'queued' | 'running' | 'done' | 'takenOver';
  /** Where the entry was linked (the subject's name or the alternate one), once done. */
  file?: string;
  /** The thread pool's link issued and its outcome not seen yet: what a takeover fences. */
  linking?: { readonly temporary: string; readonly target: string };
}

/**
 * A takeover found that the key's entry, linked by the thread pool, was destroyed since (a shred), or
 * could not tell: the key is given up, never linked again; what was encrypted with it is refused.
 */
export class CreationAbandonedError extends KeyStoreIoError {}

/** Makes the entry's shard directory exist (not synced: the entry's syncs cover it). */
export type EnsureShard = () => Promise<void>;

/**
 * On the thread pool: links the entry; resolves with where it is, or undefined when a synchronous
 * flush took the creation over meanwhile. Rejects with KeyStoreIoError (nothing usable was linked).
 */
export async function createEntry(
  file: string,
  keyId: string,
  c: EntryCreation,
  ensureShard: EnsureShard,
): Promise<string | undefined> {
  c.state = 'running';
  await ensureShard();
  for (const target of [file, c.alternateFile]) {
    if (takenOver(c)) return undefined;
    const temporary = await writeTemporaryAsync(target, c.bytes);
    if (takenOver(c)) {
      await removeTemporaryAsync(temporary).catch(() => undefined);
      return undefined; // not linked: the takeover links its own copy
    }
    c.linking = { temporary, target };
    let made: boolean;
    try {
      made = await linkTemporaryAsync(temporary, target);
    } catch (error) {
      c.linking = undefined;
      if (takenOver(c)) return undefined; // fenced: the temporary file is the takeover's now
      await removeTemporaryAsync(temporary).catch(() => undefined);
      throw error;
    }
    c.linking = undefined;
    if (takenOver(c)) return undefined; // fenced after the link ran: the takeover saw where it went
    if (made) {
      c.state = 'done';
      c.file = target;
      // Linked: a failure to remove the other name fails nothing (the entry exists; were the creation
      // failed, a later flush would link the key again, maybe after a shred). Shreds and rewraps
      // remove such a leftover.
      await removeTemporaryAsync(temporary).catch(() => undefined);
      return target;
    }
    await removeTemporaryAsync(temporary).catch(() => undefined);
    const linked = holdsKey(await readSmallFileAsync(target, STORE_FILE_BYTES_MAX), target, keyId);
    if (takenOver(c)) return undefined;
    if (linked) {
      c.state = 'done';
      c.file = target;
      return target;
    }
  }
  throw occupied(c.alternateFile);
}

/**
 * `createEntry`, blocking; also takes over a creation the thread pool is doing. Returns where the
 * entry is; throws `CreationAbandonedError` when the key must be given up (module comment).
 */
export function createEntrySync(
  file: string,
  keyId: string,
  c: EntryCreation,
  ensureShard: () => void,
): string {
  const was = c.state;
  const linking = c.linking;
  c.state = 'takenOver';
  if (was === 'done' && c.file !== undefined) return c.file; // linked once: never again
  if (linking !== undefined) return fenceAndTake(linking, file, keyId, c);
  ensureShard();
  for (const target of [file, c.alternateFile]) {
    const made = linkFileOnce(target, c.bytes);
    if (made || holdsKey(readSmallFile(target, STORE_FILE_BYTES_MAX), target, keyId)) {
      c.file = target;
      return target;
    }
  }
  throw occupied(c.alternateFile);
}

/** The takeover of a creation whose link the thread pool has issued (module comment). */
function fenceAndTake(
  linking: NonNullable<EntryCreation['linking']>,
  file: string,
  keyId: string,
  c: EntryCreation,
): string {
  const { temporary, target } = linking;
  let fenced: string | undefined;
  try {
    fenced = renameTemporary(temporary);
  } catch (error) {
    throw abandoned(keyId, `its writing could not be fenced (${(error as Error).message})`, error);
  }
  if (fenced === undefined) return keptOrAbandoned(target, keyId, c);
  try {
    const found = inspect(keyId, () => linksAndBytes(fenced, STORE_FILE_BYTES_MAX));
    // Removed since the fence (a rewrap; a replacement of the entry its link made: durableFiles.ts
    // replaceFile; a shred): as when the rename found it gone.
    if (found === undefined) return keptOrAbandoned(target, keyId, c);
    if (found.links > 1) return (c.file = target); // the link landed: that entry holds the key
    if (!found.bytes.equals(c.bytes)) {
      throw abandoned(keyId, `its entry ${target} was destroyed (a shred) after the thread pool linked it`);
    }
    // The link has not run and never will (or it ran and its entry was replaced since, by a rewrap or
    // a rewrite, a new file renamed over it: then the name holds the key, or a shred destroyed it
    // meanwhile): this file is linked here instead, once. A failure gives the key up, never queues it
    // again: a later flush's link of a new copy could follow that shred (measured: a rewrap, then a
    // shred between this read and this link brought the shredded key back; KeyStore.relink.test).
    const targets = target === file ? [file, c.alternateFile] : [target];
    try {
      for (const t of targets) {
        if (linkExisting(fenced, t) || holdsKey(readSmallFile(t, STORE_FILE_BYTES_MAX), t, keyId)) {
          return (c.file = t);
        }
      }
    } catch (error) {
      throw abandoned(keyId, `its entry could not be linked (${(error as Error).message})`, error);
    }
    throw abandoned(keyId, `both its names hold another key (${c.alternateFile})`);
  } finally {
    discardTemporary(fenced);
  }
}

/**
 * The temporary file being linked was removed by another process (a rewrap, a shred, a replacement of
 * the entry it links): the link ran before that, or fails. Its entry there is the key's; otherwise
 * nothing tells whether it landed and was shredded since: the key is given up.
 */
function keptOrAbandoned(target: string, keyId: string, c: EntryCreation): string {
  if (
    holdsKey(
      inspect(keyId, () => readSmallFile(target, STORE_FILE_BYTES_MAX)),
      target,
      keyId,
    )
  ) {
    return (c.file = target);
  }
  throw abandoned(keyId, 'its temporary file was removed by another process while it was being linked');
}

/** `read()`; a failure gives the key up: what the fenced link did cannot be told. */
function inspect<T>(keyId: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw abandoned(keyId, `what its writing did could not be read (${(error as Error).message})`, error);
  }
}

/** Read through a call: the state changes while `createEntry` awaits (a synchronous flush). */
function takenOver(c: EntryCreation): boolean {
  return c.state === 'takenOver';
}

/** True when `bytes` (an entry read back) hold the key `keyId`; an unreadable or torn entry does not. */
function holdsKey(bytes: Buffer | undefined, file: string, keyId: string): boolean {
  if (bytes === undefined) return false;
  try {
    return parseEntryFile(bytes, file).keyId === keyId;
  } catch {
    return false;
  }
}

function abandoned(keyId: string, why: string, cause?: unknown): CreationAbandonedError {
  return new CreationAbandonedError(
    `key store: the new key ${keyId} is given up: ${why}; what was encrypted with it is refused (retryable: its subject gets a new key)`,
    cause,
  );
}

function occupied(file: string): KeyStoreIoError {
  // A key id is random (48 bits) and its file name is only ever created for it: not expected.
  return new KeyStoreIoError(`key store: cannot create ${file}: it holds another key`);
}
