/**
 * The shared byte budget of one OTLP/gRPC server (`grpc::max_inflight_bytes_mib`):
 * every call's request data that the process may hold — read by grpc-js,
 * buffered by Node's HTTP/2 stream, decompressed — is reserved here before it
 * can arrive (streamAdmission.ts says what a call reserves and when), and a
 * call whose reservation does not fit is refused, retryably. So the bytes
 * held never exceed `limitBytes`; `reservedBytes` is the gauge.
 */
import assert from 'node:assert/strict';
import { PinnedBuffers } from './pinnedBuffers.ts';

export interface InflightStats {
  /** The budget; `Infinity` when `max_inflight_bytes_mib` is 0 (no limit). */
  readonly limitBytes: number;
  /** Reserved now by open calls. */
  readonly reservedBytes: number;
  /** The highest `reservedBytes` since the server started. */
  readonly peakBytes: number;
  /** Calls refused (UNAVAILABLE with RetryInfo) because their reservation did not fit. */
  readonly refusedCalls: number;
  /** Part of `reservedBytes`: socket reads kept by calls' chunks beyond their messages (pinnedBuffers.ts). */
  readonly keptReadsBytes: number;
}

export class InflightBudget {
  readonly limitBytes: number;
  private reserved = 0;
  private peak = 0;
  private refused = 0;
  /** The socket reads calls' chunks keep alive (streamAdmission.ts). */
  readonly pinned: PinnedBuffers = new PinnedBuffers(this);

  constructor(limitBytes: number) {
    assert.ok(limitBytes > 0, 'inflight budget must be positive');
    this.limitBytes = limitBytes;
  }

  /** Reserves `bytes` if they fit under the limit; false (and nothing reserved) otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.reserved + bytes > this.limitBytes) return false;
    this.reserved += bytes;
    if (this.reserved > this.peak) this.peak = this.reserved;
    return true;
  }

  /** Reserves `bytes` even over the limit: for memory already held (pinnedBuffers.ts); later calls are refused until it is back under. */
  reserveOverLimit(bytes: number): void {
    this.reserved += bytes;
    if (this.reserved > this.peak) this.peak = this.reserved;
  }

  release(bytes: number): void {
    this.reserved -= bytes;
    assert.ok(this.reserved >= 0, `inflight budget released more than reserved (${this.reserved})`);
  }

  countRefusal(): void {
    this.refused++;
  }

  stats(): InflightStats {
    return {
      limitBytes: this.limitBytes,
      reservedBytes: this.reserved,
      peakBytes: this.peak,
      refusedCalls: this.refused,
      keptReadsBytes: this.pinned.reservedBytes,
    };
  }
}
