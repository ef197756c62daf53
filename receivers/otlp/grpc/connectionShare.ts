/**
 * One HTTP/2 connection's share of the server's byte budget
 * (`grpc::max_inflight_bytes_per_connection_mib`, inflightBudget.ts): every
 * reservation of a call (streamAdmission.ts) and of the socket reads its
 * chunks keep (pinnedBuffers.ts) is made in its connection's share and in
 * the server's budget, and fits only if it fits in both. So one connection —
 * a peer that opens streams and stalls them, or a client that multiplexes
 * more than its share — cannot hold the whole budget and stall intake for
 * every other connection: the others keep at least
 * `max_inflight_bytes_mib` − the share.
 *
 * The kept socket reads are counted per connection too (a read belongs to
 * one socket), so one connection's unused stream windows no longer make
 * room for another connection's kept reads.
 */
import assert from 'node:assert/strict';
import type { InflightBudget } from './inflightBudget.ts';
import { PinnedBuffers } from './pinnedBuffers.ts';

/** Where a reservation is made: a connection's share (and with it the server's budget). */
export interface Reservations {
  /** Reserves `bytes` if they fit; false (and nothing reserved) otherwise. */
  tryReserve(bytes: number): boolean;
  /** Reserves `bytes` even over the limits: for memory already held. */
  reserveOverLimit(bytes: number): void;
  release(bytes: number): void;
}

export class ConnectionShare implements Reservations {
  readonly budget: InflightBudget;
  /** This connection's share; the budget's `limitBytes` when there is no per-connection limit. */
  readonly limitBytes: number;
  /** The socket reads this connection's calls keep alive. */
  readonly pinned: PinnedBuffers;
  private reserved = 0;
  /** The last `tryReserve` that failed did not fit in this connection's share (rather than in the budget). */
  private overShare = false;

  constructor(budget: InflightBudget, limitBytes: number) {
    this.budget = budget;
    this.limitBytes = limitBytes;
    this.pinned = new PinnedBuffers(this, budget);
  }

  /** Reserved now by this connection's calls. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Why the last failed `tryReserve` failed: `connection` (this share) or `budget` (all connections). */
  get lastRefusal(): 'connection' | 'budget' {
    return this.overShare ? 'connection' : 'budget';
  }

  tryReserve(bytes: number): boolean {
    this.overShare = this.reserved + bytes > this.limitBytes;
    if (this.overShare || !this.budget.tryReserve(bytes)) return false;
    this.reserved += bytes;
    return true;
  }

  reserveOverLimit(bytes: number): void {
    this.budget.reserveOverLimit(bytes);
    this.reserved += bytes;
  }

  release(bytes: number): void {
    this.budget.release(bytes);
    this.reserved -= bytes;
    assert.ok(this.reserved >= 0, `connection share released more than reserved (${this.reserved})`);
  }
}
