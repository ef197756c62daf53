/**
 * What a torture writer did, for the oracle: every record it ATTEMPTED (in
 * call order, with the exact bytes — for a chained record the bytes exist
 * only once the WAL builds it at its position, so they are filled in then)
 * and every record the WAL ACKNOWLEDGED (sequence number → bytes).
 *
 * Attempts are identified by the SHA-256 of their bytes; torture payloads
 * are unique per attempt (they carry the attempt number), so a record found
 * in the WAL names the one attempt it came from.
 */
import { createHash } from 'node:crypto';

export interface Attempt {
  /** Call order, from 0. */
  readonly order: number;
  /** The exact payload, once known. */
  payload: Uint8Array | undefined;
}

/** The read-only face the oracle uses. */
export interface LedgerView {
  /** Acknowledged (or, after a successful check, known-durable) records: WAL seq → exact payload. */
  readonly acknowledged: ReadonlyMap<number, Uint8Array>;
  /** The attempt these exact bytes came from, or undefined when no attempt had them. */
  identify(payload: Uint8Array): Attempt | undefined;
}

export function digestOf(payload: Uint8Array): string {
  return createHash('sha256').update(payload).digest('base64');
}

export class Ledger implements LedgerView {
  readonly acknowledged = new Map<number, Uint8Array>();
  private readonly attempts: Attempt[] = [];
  private readonly byDigest = new Map<string, Attempt>();
  /** Acknowledgements, counted (a baseline adoption does not count). */
  ackCount = 0;

  get attemptCount(): number {
    return this.attempts.length;
  }

  /** Registers an attempt; `payload` may come later (`setPayload`). */
  attempt(payload?: Uint8Array): Attempt {
    const a: Attempt = { order: this.attempts.length, payload: undefined };
    this.attempts.push(a);
    if (payload !== undefined) this.setPayload(a, payload);
    return a;
  }

  setPayload(a: Attempt, payload: Uint8Array): void {
    a.payload = payload;
    this.byDigest.set(digestOf(payload), a);
  }

  ack(seq: number, a: Attempt): void {
    if (a.payload === undefined)
      throw new Error(`attempt #${a.order} acknowledged before its payload was built`);
    this.acknowledged.set(seq, a.payload);
    this.ackCount++;
  }

  identify(payload: Uint8Array): Attempt | undefined {
    return this.byDigest.get(digestOf(payload));
  }

  /**
   * After a passing check, what the WAL holds is the new baseline: recovery
   * made it durable, so later checks require it too (an unacknowledged
   * record that survived a crash must not vanish at the next one).
   */
  adopt(records: Iterable<{ readonly seq: number; readonly payload: Uint8Array }>): void {
    this.acknowledged.clear();
    for (const r of records) this.acknowledged.set(r.seq, r.payload);
  }
}
