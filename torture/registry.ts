/**
 * Every torture scenario. The simulated ones of this suite are imported
 * here; any other module in `scenarios/` that exports a `Scenario` (the
 * real-process ones: kill -9, a real full disk, ...) is discovered when the
 * registry loads, so a new scenario is one file. (Discovery reads the
 * directory next to this module: a build that bundles or prunes files must
 * import such scenarios here explicitly.) A module that fails to load is
 * reported, never silently left out.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Scenario } from './Scenario.ts';
import { byzantineBackend } from './scenarios/byzantineBackend.ts';
import { clockJumpBackward } from './scenarios/clockJumpBackward.ts';
import { clockJumpForward } from './scenarios/clockJumpForward.ts';
import { concurrentCorruption } from './scenarios/concurrentCorruption.ts';
import { diskFull } from './scenarios/diskFull.ts';
import { fsyncFailure } from './scenarios/fsyncFailure.ts';
import { networkPartition } from './scenarios/networkPartition.ts';
import { powerLoss } from './scenarios/powerLoss.ts';
import { randomCorruption } from './scenarios/randomCorruption.ts';
import { resumeAfterCorruption } from './scenarios/resumeAfterCorruption.ts';
import { slowDisk } from './scenarios/slowDisk.ts';

/** The simulated scenarios, in report order (the two backend slots are registered as skipped). */
export const SIMULATED_SCENARIOS: readonly Scenario[] = [
  powerLoss,
  randomCorruption,
  resumeAfterCorruption,
  concurrentCorruption,
  diskFull,
  fsyncFailure,
  clockJumpBackward,
  clockJumpForward,
  slowDisk,
  networkPartition,
  byzantineBackend,
];

export interface LoadedScenarios {
  /** Built-in scenarios first, then discovered ones by name. */
  readonly scenarios: readonly Scenario[];
  /** Modules in `scenarios/` that did not load. */
  readonly loadErrors: ReadonlyArray<{ readonly file: string; readonly error: string }>;
}

export function isScenario(v: unknown): v is Scenario {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<Scenario>;
  return (
    typeof s.name === 'string' &&
    typeof s.description === 'string' &&
    (s.kind === 'simulated' || s.kind === 'real') &&
    typeof s.run === 'function'
  );
}

/** The built-in scenarios plus every scenario exported by another module of `scenarios/`. */
export async function loadScenarios(): Promise<LoadedScenarios> {
  const byName = new Map<string, Scenario>();
  for (const s of SIMULATED_SCENARIOS) byName.set(s.name, s);
  const loadErrors: Array<{ file: string; error: string }> = [];
  const discovered: Scenario[] = [];
  const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.(ts|js)$/.test(f) && !/\.(test|d)\.(ts|js)$/.test(f))
      .sort();
  } catch (err) {
    loadErrors.push({ file: dir, error: String(err) });
  }
  for (const file of files) {
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    } catch (err) {
      loadErrors.push({ file: `scenarios/${file}`, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const value of Object.values(module)) {
      if (!isScenario(value) || byName.has(value.name)) continue;
      byName.set(value.name, value);
      discovered.push(value);
    }
  }
  discovered.sort((a, b) => a.name.localeCompare(b.name));
  return { scenarios: [...SIMULATED_SCENARIOS, ...discovered], loadErrors };
}
