/**
 * Socket read buffers that calls' request chunks keep alive, counted toward
 * the server's byte budget (streamAdmission.ts). Node's HTTP/2 session hands
 * each stream its DATA as views of one ArrayBuffer per socket read, and
 * grpc-js's decoder keeps views of a message's chunks (its flag byte, its
 * body) until the message is done and the call is gone: a 1-byte chunk that
 * arrived in a 60 KB read keeps 60 KB. Reserving each message's size at its
 * prefix does not bound that: 3 stalled calls sent one byte per read, each
 * read filled with another call's skipped body, kept ~59 MiB of reads alive
 * with 1.8 MiB reserved against a 4 MiB budget (test/grpc-memory.test.ts).
 *
 * So every ArrayBuffer a kept chunk is a view of is counted once, whichever
 * calls' chunks it holds, until the last of those calls is released. The
 * message reservations already cover the bytes a message's chunks hold in
 * their reads, and legitimate reads hold little else (frame headers, ~0.06%
 * of a message in 16 KiB frames; HEADERS frames; other calls' messages): only
 * what the reads hold beyond the calls' reservations (`pinnedBytes -
 * creditBytes`; the credit is each call's messages, and its stream window
 * until its request has been read, which a flowing stream leaves unused) is
 * reserved on top, so the largest call still fits in the budget
 * config.ts requires. It grows when a call pins a new read (a call whose
 * growth does not fit is refused, retryably) and may grow when a call's
 * credit goes (its request read to the end, or the call released) while
 * reads it counted on stay kept: that is reserved even over the limit (the
 * memory is held; new calls are refused until it shrinks).
 *
 * One per connection (connectionShare.ts): a socket read belongs to one
 * connection, and what its calls keep is reserved in its share.
 */
import type { Reservations } from './connectionShare.ts';
import type { InflightBudget } from './inflightBudget.ts';

export class PinnedBuffers {
  private readonly reservations: Reservations;
  /** Where `extraBytes` is added up over all connections, for `keptReadsBytes`. */
  private readonly gauge: InflightBudget;
  /** Every kept read buffer with the number of calls keeping it. */
  private readonly holders = new Map<ArrayBufferLike, number>();
  private pinnedBytes = 0;
  /** Message bytes reserved by calls (5 + length per message). */
  private creditBytes = 0;
  /** Reserved in the budget for `pinnedBytes - creditBytes`. */
  private extraBytes = 0;

  constructor(reservations: Reservations, gauge: InflightBudget) {
    this.reservations = reservations;
    this.gauge = gauge;
  }

  /** A call reserved `bytes` more (a stream window, messages). */
  credit(bytes: number): void {
    this.creditBytes += bytes;
    this.settle(false);
  }

  /** A call gave back `bytes` of its credit (its stream window) and is still open. */
  debit(bytes: number): void {
    this.creditBytes -= bytes;
    this.settle(true);
  }

  /** A call keeps `buffer` (not kept by it before); false if what that adds does not fit in the budget. */
  pin(buffer: ArrayBufferLike): boolean {
    const n = this.holders.get(buffer) ?? 0;
    this.holders.set(buffer, n + 1);
    if (n === 0) this.pinnedBytes += buffer.byteLength;
    return this.settle(false);
  }

  /** A call is released: the buffers it kept, the credit it still had. */
  release(buffers: Iterable<ArrayBufferLike>, creditBytes: number): void {
    for (const buffer of buffers) {
      const n = this.holders.get(buffer) ?? 0;
      if (n > 1) this.holders.set(buffer, n - 1);
      else if (n === 1) {
        this.holders.delete(buffer);
        this.pinnedBytes -= buffer.byteLength;
      }
    }
    this.creditBytes -= creditBytes;
    this.settle(true);
  }

  /** Bytes reserved for kept reads beyond the messages (part of the budget's `reservedBytes`). */
  get reservedBytes(): number {
    return this.extraBytes;
  }

  /** Brings the reservation to what the kept reads need; `force`: even over the limit (memory already held). */
  private settle(force: boolean): boolean {
    const target = Math.max(0, this.pinnedBytes - this.creditBytes);
    if (target < this.extraBytes) {
      this.reservations.release(this.extraBytes - target);
      this.gauge.addKeptReads(target - this.extraBytes);
      this.extraBytes = target;
      return true;
    }
    if (target === this.extraBytes) return true;
    if (force) this.reservations.reserveOverLimit(target - this.extraBytes);
    else if (!this.reservations.tryReserve(target - this.extraBytes)) return false;
    this.gauge.addKeptReads(target - this.extraBytes);
    this.extraBytes = target;
    return true;
  }
}
