/**
 * A deterministic wall clock for the WAL and the chain sequencer (both take
 * an injectable `clock`): it advances by `stepNs` at every reading, so time
 * passes without depending on the real clock, and scenarios can make it jump.
 */

/** 2026-01-01T00:00:00Z in unix nanoseconds. */
export const TORTURE_EPOCH_NS = 1_767_225_600_000_000_000n;

export class TortureClock {
  private ns: bigint;
  private readonly stepNs: bigint;
  /** Readings taken (for the report). */
  readings = 0;

  constructor(startNs: bigint = TORTURE_EPOCH_NS, stepNs = 1_000_000n) {
    this.ns = startNs;
    this.stepNs = stepNs;
  }

  /** The clock function to inject (`clock` option). */
  readonly now = (): bigint => {
    this.readings++;
    this.ns += this.stepNs;
    return this.ns;
  };

  /** Moves the clock by `deltaNs` (negative: backward). Never below 1 s after the epoch. */
  jump(deltaNs: bigint): void {
    const next = this.ns + deltaNs;
    this.ns = next < 1_000_000_000n ? 1_000_000_000n : next;
  }

  get currentNs(): bigint {
    return this.ns;
  }
}
