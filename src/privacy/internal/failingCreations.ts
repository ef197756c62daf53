/**
 * New keys whose entry could not be written (pendingEntries.ts), and whether
 * a flush must still fail when writing one fails again.
 *
 * A key handed out is never given up (records were encrypted with it): its
 * entry is written again by every flush until it is. Once a writing has
 * failed, the key store refuses the key's subject (KeyStore.keyForSubject:
 * `KeyStoreWriteFailedError`, retryable), so no record is encrypted with it
 * any more; only batches that got it BEFORE that may hold such records. Each
 * of those batches calls its flush in the same event-loop turn as it got the
 * key (the pipeline and the in-process writer do: KeyStore.ts), and that
 * flush either includes the key's writing or waits for the flush in flight
 * that includes it. So the key stays `charged` — a failure to write it fails
 * the flush that tried — while a flush that tried it has not settled, and
 * until the turn after the last one did (a waiting flush rejects, and its
 * batch is marked failed, in the microtasks that follow). After that the key
 * is written in the `background`: a failure is reported once (the refusal)
 * and fails no flush, so batches of other subjects go on.
 */

interface Failing {
  /** Flushes that tried (or are trying) to write the key while it was charged and have not settled. */
  holds: number;
  background: boolean;
}

export class FailingCreations {
  private readonly byKey = new Map<string, Failing>();

  /** Writing the new key `keyId` failed (it is still handed out): charged for now. */
  failed(keyId: string): void {
    if (this.byKey.has(keyId)) return;
    this.byKey.set(keyId, { holds: 0, background: false });
    this.later(keyId); // even with no flush holding it: the turn that refused it must end first
  }

  /** True when a flush writing the key `keyId` must fail if that fails (see the module comment). */
  charged(keyId: string): boolean {
    return this.byKey.get(keyId)?.background !== true;
  }

  /** True when the key `keyId` has failed to be written (known here until written or forgotten). */
  has(keyId: string): boolean {
    return this.byKey.has(keyId);
  }

  /** A flush writes (or wrote and failed) the key `keyId` while charged: it stays so until `release`. */
  hold(keyId: string): void {
    const f = this.byKey.get(keyId);
    if (f) f.holds++;
  }

  /** That flush has settled. */
  release(keyId: string): void {
    const f = this.byKey.get(keyId);
    if (f === undefined) return;
    f.holds--;
    if (f.holds === 0) this.later(keyId);
  }

  /** The key's entry is written, or the key is gone (shredded): nothing failing any more. */
  forget(keyId: string): void {
    this.byKey.delete(keyId);
  }

  private later(keyId: string): void {
    // setImmediate: after every microtask of this turn (flushes waiting for the one that settled).
    setImmediate(() => {
      const f = this.byKey.get(keyId);
      if (f !== undefined && f.holds === 0) f.background = true;
    });
  }
}
