/**
 * Master key rotation, second half: re-wraps the index key and every data
 * key that is not yet under the ring's active master key (atomic replace per
 * file), and removes temporary files and torn (empty or zero-filled) entries
 * left by crashes. The caller holds the store lock, so no shred runs
 * meanwhile and nothing destroyed comes back.
 * Safe to re-run after a crash: each file is either old or new, both readable
 * while the old master key is still configured.
 */
import path from 'node:path';
import { unlinkSync } from 'node:fs';
import type { SecretKeyRing } from '../SecretKey.ts';
import {
  destroyFile,
  ioError,
  isTornFile,
  listDirectory,
  readSmallFile,
  replaceFile,
} from './durableFiles.ts';
import {
  entryFileBytes,
  KEYS_DIR,
  parseEntryFile,
  parseStoreFile,
  STORE_FILE,
  STORE_FILE_BYTES_MAX,
  storeFileBytes,
} from './keyStoreFormat.ts';
import { unwrapKey, wrapKey } from './keyWrap.ts';

/** Returns how many files were re-wrapped. */
export function rewrapStore(directory: string, masterKeys: SecretKeyRing): number {
  const active = masterKeys.active;
  let changed = 0;
  const storePath = path.join(directory, STORE_FILE);
  const store = parseStoreFile(readSmallFile(storePath, STORE_FILE_BYTES_MAX) as Buffer, storePath);
  if (store.masterKeyId !== active.id) {
    const raw = unwrapKey(masterKeys, store.masterKeyId, store.indexKey, ['index key'], storePath);
    const indexKey = wrapKey(active, raw, ['index key']);
    replaceFile(storePath, storeFileBytes({ masterKeyId: active.id, indexKey }));
    changed++;
  }
  for (const shard of listDirectory(path.join(directory, KEYS_DIR))) {
    const dir = path.join(directory, KEYS_DIR, shard);
    for (const name of listDirectory(dir)) {
      const file = path.join(dir, name);
      if (name.startsWith('.tmp-')) removeTemporary(file);
      if (!name.endsWith('.json')) continue;
      const bytes = readSmallFile(file, STORE_FILE_BYTES_MAX) as Buffer;
      if (isTornFile(bytes)) {
        // A crash left it empty or zero-filled (never synced, or a shred's overwrite): nothing
        // durable was encrypted with it; removed as KeyStore.keyForSubject would (KeyStore.ts).
        destroyFile(file);
        continue;
      }
      const entry = parseEntryFile(bytes, file);
      if (entry.masterKeyId === active.id) continue;
      const context = ['data key', entry.keyId];
      const raw = unwrapKey(masterKeys, entry.masterKeyId, entry.wrapped, context, file);
      const wrapped = wrapKey(active, raw, context);
      replaceFile(file, entryFileBytes({ ...entry, masterKeyId: active.id, wrapped }));
      changed++;
    }
  }
  return changed;
}

/**
 * A temporary file may also be one a processor is writing (a new entry, about to be linked, then
 * removed by its writer): gone meanwhile is not an error. (Removed before its link, that entry
 * fails to be written, retryably.)
 */
function removeTemporary(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`remove ${file}`, error);
  }
}
