/**
 * Defects the torture suite has found in the product and that are not fixed
 * yet. A failure whose every violation matches a known defect of its
 * scenario (with the defect's precondition observed in that iteration) is
 * still a FAILURE — the runner counts it, the CLI exits 3, the report lists
 * it — but it is labelled with the defect, so that a new defect stands out.
 * `torture.test.ts` checks that each entry still reproduces at its seed:
 * once the defect is fixed, the test says to remove the entry.
 *
 * Ids are never reused. Fixed: KD-1 (the chain reused chain numbers after
 * records were lost) and KD-2 (recovery reused the sequence numbers of a
 * damaged range), both in 49d0308.
 */
import type { IterationResult } from './Scenario.ts';

export interface KnownDefect {
  readonly id: string;
  readonly scenarios: readonly string[];
  readonly title: string;
  /** Where the fault lies in the product. */
  readonly where: string;
  readonly detail: string;
  /** A violation belongs to this defect when it matches one of these. */
  readonly violations: readonly RegExp[];
  /** A metric the iteration must report above 0 for the attribution to hold. */
  readonly precondition?: string;
  /** A seed whose first iteration reproduces it (`--seed S --iterations 1`). */
  readonly seed: number;
}

/**
 * Empty: every defect found so far is fixed. KD-1 (chain numbers reused after records were lost), KD-2
 * (sequence numbers of a damaged range reused), KD-3 (a failed sync of a segment not failing the batch
 * whose sync of it was in flight, including a seal at rollover), KD-4 (a strict append during a group
 * commit made a power loss look like corruption) KD-5 (a seal could persist the footer before the
 * frames) and KD-6 (a damaged segment becoming the newest after an empty one was removed) — each with a
 * regression seed that now passes.
 */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [];

/** Seeds that once reproduced a defect (first iteration): each must pass now — regression cases. */
export const FIXED_DEFECT_SEEDS: ReadonlyArray<{
  readonly id: string;
  readonly scenario: string;
  readonly seed: number;
}> = [
  { id: 'KD-1', scenario: 'ResumeAfterCorruption', seed: 1002 },
  { id: 'KD-2', scenario: 'RandomCorruption', seed: 1170 },
  { id: 'KD-3', scenario: 'FsyncFailure', seed: 1006 },
  { id: 'KD-3 (seal at rollover)', scenario: 'FsyncFailure', seed: 3619113162 },
  { id: 'KD-3 (chained, tear)', scenario: 'FsyncFailure', seed: 1195702008 },
  { id: 'KD-4', scenario: 'PowerLoss', seed: 1183 },
  { id: 'KD-5', scenario: 'PowerLoss', seed: 1282 },
  { id: 'seal ENOSPC reported as a sync failure', scenario: 'DiskFull', seed: 337299237 },
  { id: 'KD-6', scenario: 'RandomCorruption', seed: 3226238572 },
  { id: 'KD-6 (resume)', scenario: 'ResumeAfterCorruption', seed: 3226238572 },
];

/** The known defects a failed iteration is entirely explained by, or [] when any violation is new. */
export function knownDefectsOf(
  scenario: string,
  result: Pick<IterationResult, 'violations' | 'metrics'>,
  defects: readonly KnownDefect[] = KNOWN_DEFECTS,
): string[] {
  const candidates = defects.filter(
    (d) =>
      d.scenarios.includes(scenario) &&
      (d.precondition === undefined || (result.metrics?.[d.precondition] ?? 0) > 0),
  );
  if (candidates.length === 0 || result.violations.length === 0) return [];
  const ids = new Set<string>();
  for (const v of result.violations) {
    if (/: \.\.\. and \d+ more violations$/.test(v)) continue;
    const d = candidates.find((c) => c.violations.some((re) => re.test(v)));
    if (d === undefined) return [];
    ids.add(d.id);
  }
  return [...ids].sort();
}
