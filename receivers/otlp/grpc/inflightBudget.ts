/**
 * The shared byte budget of one OTLP/gRPC server (`grpc::max_inflight_bytes_mib`):
 * every call's request data that the process may hold — read by grpc-js,
 * buffered by Node's HTTP/2 stream, decompressed — is reserved here before it
 * can arrive (streamAdmission.ts says what a call reserves and when), and a
 * call whose reservation does not fit is refused, retryably. So the bytes
 * held never exceed `limitBytes`; `reservedBytes` is the gauge. Each
 * connection's reservations are also bounded by its share,
 * `connectionLimitBytes` (connectionShare.ts).
 */
import assert from 'node:assert/strict';

export interface InflightStats {
  /** The budget (`max_inflight_bytes_mib`; with 0, no limit, there are no stats). */
  readonly limitBytes: number;
  /** Reserved now by open calls. */
  readonly reservedBytes: number;
  /** The highest `reservedBytes` since the server started. */
  readonly peakBytes: number;
  /** Calls refused (UNAVAILABLE with RetryInfo) because their reservation did not fit. */
  readonly refusedCalls: number;
  /** Part of `reservedBytes`: socket reads kept by calls' chunks beyond their messages (pinnedBuffers.ts). */
  readonly keptReadsBytes: number;
  /** What one connection may reserve (`max_inflight_bytes_per_connection_mib`); `limitBytes` when unbounded. */
  readonly connectionLimitBytes: number;
  /** Part of `refusedCalls`: refused because their connection's share was full, not the whole budget. */
  readonly connectionRefusedCalls: number;
  /** Calls refused UNAUTHENTICATED at their headers, before anything was reserved for them. */
  readonly unauthenticatedCalls: number;
  /**
   * Calls refused at their headers (RST_STREAM ENHANCE_YOUR_CALM, nothing reserved) for a header list over
   * the SETTINGS_MAX_HEADER_LIST_SIZE the server advertises (streamCost.ts): those sent before the client
   * acknowledged it, which admission refuses (streamAdmission.ts). Once acknowledged, Node refuses them
   * itself before the receiver sees the stream: not counted.
   */
  readonly headerListRefusedCalls: number;
}

export class InflightBudget {
  readonly limitBytes: number;
  readonly connectionLimitBytes: number;
  private reserved = 0;
  private peak = 0;
  private refused = 0;
  private refusedByConnection = 0;
  private unauthenticated = 0;
  private headerListRefused = 0;
  /** Reserved for socket reads kept beyond the messages, all connections together (pinnedBuffers.ts). */
  private keptReads = 0;

  /** `connectionLimitBytes`: each connection's share (connectionShare.ts); default `limitBytes` (no share). */
  constructor(limitBytes: number, connectionLimitBytes: number = limitBytes) {
    assert.ok(limitBytes > 0, 'inflight budget must be positive');
    assert.ok(connectionLimitBytes > 0, "a connection's share of the inflight budget must be positive");
    this.limitBytes = limitBytes;
    this.connectionLimitBytes = Math.min(connectionLimitBytes, limitBytes);
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

  /** A call was refused; `by`: its connection's share was full (rather than the budget). */
  countRefusal(by: 'connection' | 'budget' = 'budget'): void {
    this.refused++;
    if (by === 'connection') this.refusedByConnection++;
  }

  countUnauthenticated(): void {
    this.unauthenticated++;
  }

  countHeaderListRefusal(): void {
    this.headerListRefused++;
  }

  /** Kept reads' part of `reservedBytes` changed by `bytes` (pinnedBuffers.ts; the bytes are reserved there). */
  addKeptReads(bytes: number): void {
    this.keptReads += bytes;
  }

  stats(): InflightStats {
    return {
      limitBytes: this.limitBytes,
      reservedBytes: this.reserved,
      peakBytes: this.peak,
      refusedCalls: this.refused,
      keptReadsBytes: this.keptReads,
      connectionLimitBytes: this.connectionLimitBytes,
      connectionRefusedCalls: this.refusedByConnection,
      unauthenticatedCalls: this.unauthenticated,
      headerListRefusedCalls: this.headerListRefused,
    };
  }
}
