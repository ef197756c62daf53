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
 * the flush that tried — while a flush that may carry such a batch has not
 * settled, and until the turn after the last one did (a waiting flush
 * rejects, and its batch is marked failed, in the microtasks that follow).
 * After that the key is written in the `background`: a failure is reported
 * once (the refusal) and fails no flush, so batches of other subjects go on.
 *
 * Only flushes started before the refusal, or in its event-loop turn, may
 * carry such a batch (`mayCarry`): only they keep the key charged. A flush
 * started later while it is still charged fails if writing it fails, but
 * does not extend that: otherwise a producer whose next batch flushes in the
 * microtasks after the previous one failed (`await write()` in a loop;
 * requests handled in the same poll phase) kept the key charged for ever,
 * and every batch of every subject failed (measured: 46 of 46 in 2 s).
 */

interface Failing {
  /** Flushes that may carry a batch holding the key, tried (or are trying) to write it, and have not settled. */
  holds: number;
  /** The event-loop turn in which the key was first refused has ended. */
  turnEnded: boolean;
  background: boolean;
}

export class FailingCreations {
  private readonly byKey = new Map<string, Failing>();

  /** Writing the new key `keyId` failed (it is still handed out): charged for now. */
  failed(keyId: string): void {
    if (this.byKey.has(keyId)) return;
    const f: Failing = { holds: 0, turnEnded: false, background: false };
    this.byKey.set(keyId, f);
    // Even with no flush holding it: the turn that refused it must end first.
    setImmediate(() => {
      f.turnEnded = true;
      if (f.holds === 0) f.background = true;
    });
  }

  /** True when a flush writing the key `keyId` must fail if that fails (see the module comment). */
  charged(keyId: string): boolean {
    return this.byKey.get(keyId)?.background !== true;
  }

  /**
   * True when a flush starting now may carry a batch holding records encrypted with the key `keyId`:
   * it has not failed to be written yet (it is still handed out), or the turn that refused it has not
   * ended (a batch that got it before the refusal may call its flush later in that turn).
   */
  mayCarry(keyId: string): boolean {
    return this.byKey.get(keyId)?.turnEnded !== true;
  }

  /** True when the key `keyId` has failed to be written (known here until written or forgotten). */
  has(keyId: string): boolean {
    return this.byKey.has(keyId);
  }

  /**
   * A flush that may carry a batch holding the key `keyId` writes (or wrote and failed) it while
   * charged: it stays so until `release`.
   */
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
      if (f !== undefined && f.holds === 0 && f.turnEnded) f.background = true;
    });
  }
}
