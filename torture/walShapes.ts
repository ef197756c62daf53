/**
 * Random WAL shapes for one iteration: small segments (so rollover, sealing
 * and multi-segment recovery happen within a few dozen records), every
 * preallocation mode and both durable sync policies.
 */
import type { Prng } from './prng.ts';
import type { HarnessWalOptions } from './SimWalHarness.ts';

export const TORTURE_PAYLOAD_BYTES_MAX = 2048;

export function randomWalOptions(rng: Prng): HarnessWalOptions {
  return {
    segmentBytesMax: rng.pick([4096, 8192, 16_384, 65_536]),
    payloadBytesMax: TORTURE_PAYLOAD_BYTES_MAX,
    indexIntervalBytes: rng.pick([512, 1024, 4096]),
    preallocate: rng.pick(['auto', 'inline', 'background', 'off'] as const),
    syncPolicy: rng.pick(['fdatasync', 'fsync'] as const),
    // The periodic high-water-mark write runs on a real-time timer (src/wal/HighWaterMarkKeeper.ts), not on
    // anything drawn from the seed: an iteration slower than the interval would get it at a moment set by
    // the machine's load, and a seed would no longer replay its run. Simulated iterations write the mark at
    // rollover and close only (through the power switch: deterministic); the periodic write is covered by
    // src/wal/highWaterMark.periodic.test.ts (seeded faults + crash), the kill -9 tests and the real-process
    // scenarios, which run the default interval. An injected timer in the keeper would let torture drive it.
    highWaterMarkIntervalMs: 0,
  };
}

/** A one-line description of the shape, for violation messages. */
export function describeShape(o: HarnessWalOptions): string {
  return `segments ${o.segmentBytesMax} B, preallocate ${o.preallocate}, ${o.syncPolicy}`;
}
