/**
 * The start shared by the phased fault scenarios (DiskFull, FsyncFailure): a
 * harness on a random WAL shape, chained in half the iterations, opened (a
 * failed open is the first violation), and 2 to 4 phases, each named in its
 * violations by `where(p)`. Draws from `rng` in a fixed order, so recorded
 * seeds keep reproducing.
 */
import type { Prng } from './prng.ts';
import { describeError, SimWalHarness } from './SimWalHarness.ts';
import { describeShape, randomWalOptions } from './walShapes.ts';

export interface PhasedRun {
  readonly h: SimWalHarness;
  readonly violations: string[];
  readonly phases: number;
  /** "phase 2/3 (segments 4096 B, preallocate off, fsync, chained)" */
  where(phase: number): string;
}

export function startPhasedRun(rng: Prng): PhasedRun {
  const wal = randomWalOptions(rng);
  const h = new SimWalHarness({ seed: rng.u32(), chained: rng.chance(0.5), wal });
  const violations: string[] = [];
  const openError = h.open();
  if (openError !== undefined) violations.push(`the new WAL did not open: ${describeError(openError)}`);
  const phases = rng.int(2, 4);
  const shape = `${describeShape(wal)}${h.chained ? ', chained' : ''}`;
  return { h, violations, phases, where: (p) => `phase ${p}/${phases} (${shape})` };
}
