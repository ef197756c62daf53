/**
 * A random writer workload over a `SimWalHarness`: concurrent single
 * appends, batches, strict appends, stand-alone checkpoints and event-loop
 * turns (which let syncs complete and group commits form), drawn from the
 * iteration's PRNG. Scenarios interleave it with their faults.
 */
import type { Prng } from './prng.ts';
import type { SimWalHarness } from './SimWalHarness.ts';

export interface WorkloadWeights {
  readonly append: number;
  readonly batch: number;
  readonly strict: number;
  readonly checkpoint: number;
  readonly tick: number;
  readonly settle: number;
}

export const DEFAULT_WEIGHTS: WorkloadWeights = {
  append: 6,
  batch: 3,
  strict: 1,
  checkpoint: 1,
  tick: 4,
  settle: 1,
};

type Op = keyof WorkloadWeights;

/** Runs `ops` random operations; returns how many records were attempted. */
export async function runWorkload(
  h: SimWalHarness,
  rng: Prng,
  ops: number,
  weights: WorkloadWeights = DEFAULT_WEIGHTS,
): Promise<number> {
  const choices: Array<readonly [number, Op]> = (Object.keys(weights) as Op[]).map((k) => [weights[k], k]);
  let attempted = 0;
  for (let i = 0; i < ops; i++) {
    switch (rng.weighted(choices)) {
      case 'append': {
        const n = rng.int(1, 6);
        h.append(n);
        attempted += n;
        break;
      }
      case 'batch': {
        const n = rng.int(1, 6);
        void h.batch(n);
        attempted += n;
        break;
      }
      case 'strict':
        h.strict();
        attempted++;
        break;
      case 'checkpoint':
        h.checkpoint();
        break;
      case 'tick':
        await h.tick(rng.int(0, 3));
        break;
      case 'settle':
        await h.settle();
        break;
    }
  }
  return attempted;
}
