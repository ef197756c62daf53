/**
 * Entries of shredded keys that this process's own writing linked again
 * after the shred (entryCreation.ts: a thread-pool link issued before a
 * synchronous flush took the creation over, run after `keys shred` had
 * destroyed that flush's entry). While such an entry exists the shredded key
 * is readable again at its old name — an erasure that did not happen — so
 * it is destroyed at once, and if that fails (the store locked by a shred or
 * rewrap of another process, an I/O error) it is reported through `onError`
 * and destroyed again by every flush and by a timer until it is gone. Only
 * the first attempt and the timer's (1 s doubling to 60 s) report a failure:
 * a flush's does not, or a lock left by a crashed shred (it stays until an
 * operator removes it) logged an error per batch. The list is in memory only:
 * a process that stops first leaves the entry (docs/privacy.md: the operator
 * runs `keys shred` again). Only
 * an entry still holding that key (or left zero-filled by an earlier attempt,
 * which no key can be read from) is destroyed, under the store lock: a new
 * key linked at the name since is never touched.
 */
import { KeyStoreIoError } from '../errors.ts';
import { destroyFile, isTornFile, readSmallFile } from './durableFiles.ts';
import { parseEntryFile, STORE_FILE_BYTES_MAX } from './keyStoreFormat.ts';
import { withStoreLock } from './storeLock.ts';

/** First retry after a failed destruction; doubled after each failure up to RETRY_MS_MAX. */
export const RELINKED_RETRY_MS_FIRST = 1_000;
export const RELINKED_RETRY_MS_MAX = 60_000;

export class RelinkedEntries {
  private readonly directory: string;
  private readonly onError: (error: KeyStoreIoError) => void;
  /** Entry file → the shredded key it holds, for those not destroyed yet. */
  private readonly left = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RELINKED_RETRY_MS_FIRST;

  constructor(directory: string, onError: (error: KeyStoreIoError) => void) {
    this.directory = directory;
    this.onError = onError;
  }

  /** Entries still to destroy. */
  get size(): number {
    return this.left.size;
  }

  /** Destroys `file` if it still holds `keyId`; on failure reports it and keeps trying. */
  destroy(file: string, keyId: string): void {
    this.left.set(file, keyId);
    this.attempt(true);
  }

  /** Tries again to destroy each entry left (every flush calls it); a failure is left to the timer to report. */
  retry(): void {
    this.attempt(false);
  }

  private attempt(report: boolean): void {
    for (const [file, keyId] of this.left) {
      try {
        this.destroyIfHolding(file, keyId);
        this.left.delete(file);
      } catch (error) {
        if (report)
          this.onError(
            new KeyStoreIoError(
              `key store: ${file} holds the shredded key ${keyId} again (a write in flight linked it after the shred) and could not be destroyed: the key is readable until it is; retried by every flush and every ${Math.round(this.retryMs / 1000)} s (${(error as Error).message})`,
              error,
            ),
          );
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.left.size === 0) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.retryMs = RELINKED_RETRY_MS_FIRST;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryMs = Math.min(this.retryMs * 2, RELINKED_RETRY_MS_MAX);
      this.attempt(true);
    }, this.retryMs);
    // Not a reason to keep the process alive (nor to delay its exit by up to a minute); a process that
    // stops first leaves the entry: the error logged tells the operator to shred again.
    this.timer.unref();
  }

  private destroyIfHolding(file: string, keyId: string): void {
    withStoreLock(this.directory, () => {
      let bytes: Buffer | undefined;
      try {
        bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
      } catch (error) {
        if (error instanceof KeyStoreIoError) throw error;
        return; // larger than any entry: not the one linked
      }
      if (bytes === undefined) return; // destroyed meanwhile (another shred)
      if (isTornFile(bytes) || holdsKey(bytes, file, keyId)) destroyFile(file);
    });
  }
}

function holdsKey(bytes: Buffer, file: string, keyId: string): boolean {
  try {
    return parseEntryFile(bytes, file).keyId === keyId;
  } catch {
    return false;
  }
}
