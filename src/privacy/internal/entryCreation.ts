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
 * name (the other one got there first), so a synchronous takeover and the
 * thread pool's creation running at once end with one entry holding the key.
 */
import { KeyStoreIoError } from '../errors.ts';
import { linkFileOnce, linkFileOnceAsync, readSmallFile, readSmallFileAsync } from './durableFiles.ts';
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
  /** Set when a synchronous flush linked the entry itself (not found linked by the thread pool). */
  syncLinked?: boolean;
}

/** Makes the entry's shard directory exist (not synced: the entry's syncs cover it). */
export type EnsureShard = () => Promise<void>;

/**
 * On the thread pool: links the entry; resolves with where it is, or undefined when a synchronous
 * flush took the creation over meanwhile. Rejects with KeyStoreIoError (nothing usable was linked).
 * `relinked` gets a file this call linked after the synchronous flush had linked its own copy: only
 * a shred since can have freed the name, so it holds a shredded key and must be destroyed (it may
 * fail: the caller reports and retries, relinkedEntries.ts).
 */
export async function createEntry(
  file: string,
  keyId: string,
  c: EntryCreation,
  ensureShard: EnsureShard,
  relinked: (file: string) => void,
): Promise<string | undefined> {
  c.state = 'running';
  await ensureShard();
  for (const target of [file, c.alternateFile]) {
    if (takenOver(c)) return undefined;
    const made = await linkFileOnceAsync(target, c.bytes);
    if (takenOver(c)) {
      // The link was issued before a synchronous flush linked its own copy: it could succeed only
      // because that entry was destroyed since (a shred): the key must not come back.
      if (made && c.syncLinked === true) relinked(target);
      return undefined;
    }
    const linked = made || holdsKey(await readSmallFileAsync(target, STORE_FILE_BYTES_MAX), target, keyId);
    if (takenOver(c)) return undefined;
    if (linked) {
      c.state = 'done';
      c.file = target;
      return target;
    }
  }
  throw occupied(c.alternateFile);
}

/** `createEntry`, blocking; also takes over a creation the thread pool is doing. Returns where the entry is. */
export function createEntrySync(
  file: string,
  keyId: string,
  c: EntryCreation,
  ensureShard: () => void,
): string {
  c.state = 'takenOver';
  ensureShard();
  for (const target of [file, c.alternateFile]) {
    const made = linkFileOnce(target, c.bytes);
    if (made || holdsKey(readSmallFile(target, STORE_FILE_BYTES_MAX), target, keyId)) {
      c.file = target;
      c.syncLinked = made;
      return target;
    }
  }
  throw occupied(c.alternateFile);
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

function occupied(file: string): KeyStoreIoError {
  // A key id is random (48 bits) and its file name is only ever created for it: not expected.
  return new KeyStoreIoError(`key store: cannot create ${file}: it holds another key`);
}
