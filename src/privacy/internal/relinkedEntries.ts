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
 * runs `keys shred` again). `close()` (KeyStore.close, once the flushes in
 * flight have settled: none can link another one) makes a last attempt,
 * stops the timer, and reports each entry still left as such: nothing will
 * retry it, an operator must shred its subject again. Only
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
  /** After `close()`: no timer, each attempt is the last one. */
  private closed = false;

  constructor(directory: string, onError: (error: KeyStoreIoError) => void) {
    this.directory = directory;
    this.onError = onError;
  }

  /** Entries still to destroy. */
  get size(): number {
    return this.left.size;
  }

  /** Destroys `file` if it still holds `keyId`; on failure reports it and keeps trying (until `close`). */
  destroy(file: string, keyId: string): void {
    this.left.set(file, keyId);
    // This entry only: those left before it were reported at their own first attempt (the timer reports again).
    this.attempt(this.closed ? 'last' : 'first', [[file, keyId]]);
  }

  /** Tries again to destroy each entry left (every flush calls it); a failure is left to the timer to report. */
  retry(): void {
    this.attempt('quiet');
  }

  /**
   * The last attempt (idempotent): stops the timer, tries each entry left once more, and reports each
   * one still left (`onError`) as given up: the shredded key stays readable until an operator shreds
   * its subject again. Later `destroy` calls (none are expected: KeyStore.close waits for the flushes
   * that make them) get one attempt each, reported the same way.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt('last');
  }

  /**
   * `first`: a new entry's attempt; `timer`: a retry of the timer; both report a failure, `quiet` does
   * not; `last`: close's, reported as given up.
   */
  private attempt(
    mode: 'first' | 'timer' | 'quiet' | 'last',
    entries: Iterable<[string, string]> = this.left,
  ): void {
    for (const [file, keyId] of entries) {
      try {
        this.destroyIfHolding(file, keyId);
        this.left.delete(file);
      } catch (error) {
        // Once closed the entry stays in `left` (`size` tells what was left behind), retried by nothing.
        if (mode === 'last') this.onError(givenUp(file, keyId, error));
        else if (mode !== 'quiet')
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
    if (this.left.size === 0 || this.closed) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.retryMs = RELINKED_RETRY_MS_FIRST;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryMs = Math.min(this.retryMs * 2, RELINKED_RETRY_MS_MAX);
      this.attempt('timer');
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

/** The report of an entry the last attempt could not destroy: what the operator must do. */
function givenUp(file: string, keyId: string, error: unknown): KeyStoreIoError {
  return new KeyStoreIoError(
    `key store: ${file} holds the shredded key ${keyId} again (a write in flight linked it after the shred) and could not be destroyed before the key store closed (${(error as Error).message}): the key stays readable and nothing retries it any more. Once the cause is fixed, if ${file} still holds ${keyId} (grep -F ${keyId} ${file}), run \`keys shred\` again for the subject whose key it was (the shred that printed ${keyId}); docs/privacy.md`,
    error,
  );
}

function holdsKey(bytes: Buffer, file: string, keyId: string): boolean {
  try {
    return parseEntryFile(bytes, file).keyId === keyId;
  } catch {
    return false;
  }
}
