/**
 * The simulated torture scenarios inside `npm test`: each runs for a short
 * budget (TORTURE_TEST_MS, default 3.5 s) from a fixed master seed
 * (TORTURE_SEED to explore others) and must end with zero failures that no
 * known defect explains. The backend slots must be reported as skipped,
 * never as passed. Each known defect must still reproduce at its recorded
 * seed — when one is fixed, its test says to remove the entry. And the suite
 * must be able to fail: PowerLoss run against a WAL that acknowledges before
 * its fsync completed must find lost acknowledged records.
 * Longer runs: `npm run torture` (docs/torture.md).
 */
import { describe, expect, it, vi } from 'vitest';
import type { FileHandle } from '../src/wal/fs/FileSystem.ts';
import { SimDisk } from '../src/wal/fs/SimDisk.ts';
import { FIXED_DEFECT_SEEDS, KNOWN_DEFECTS, knownDefectsOf } from './knownDefects.ts';
import { SIMULATED_SCENARIOS } from './registry.ts';
import { powerLoss } from './scenarios/powerLoss.ts';
import { runTorture, type FailureRecord } from './runner.ts';
import { skipReasonOf } from './skipped.ts';

const BUDGET_MS = Number(process.env.TORTURE_TEST_MS ?? 3500);
const SEED = Number(process.env.TORTURE_SEED ?? 20_261_126);

const describeFailure = (f: FailureRecord): string =>
  `${f.scenario} seed ${f.seed}: ${f.violations.slice(0, 3).join(' | ')}\n  reproduce: ${f.reproduce}`;

describe('torture: simulated scenarios', () => {
  for (const scenario of SIMULATED_SCENARIOS.filter((s) => skipReasonOf(s) === undefined)) {
    it(
      `${scenario.name}: no new failure in ${BUDGET_MS} ms`,
      async () => {
        const r = await runTorture({ scenarios: [scenario], seed: SEED, durationMs: BUDGET_MS });
        const stats = r.scenarios[0];
        const fresh = r.failures.filter((f) => f.knownDefects.length === 0);
        expect(fresh.map(describeFailure)).toEqual([]);
        expect(stats?.status).not.toBe('skipped');
        expect(stats?.iterations).toBeGreaterThan(0);
        // Most iterations must really inject their fault: one that injected none is no pass.
        expect(stats?.passed).toBeGreaterThan(stats?.noFault ?? 0);
        console.log(
          `torture ${scenario.name}: ${stats?.iterations} iterations (${stats?.ratePerSecond.toFixed(1)}/s), ${stats?.failed} failed, ${stats?.noFault} without a fault${stats?.knownDefectFailures ? ` (${stats.knownDefectFailures} by known defects)` : ''}`,
        );
      },
      BUDGET_MS + 60_000,
    );
  }

  it('lists the object-store backend slots as skipped, never as passed', async () => {
    const slots = SIMULATED_SCENARIOS.filter((s) => skipReasonOf(s) !== undefined);
    expect(slots.map((s) => s.name).sort()).toEqual(['ByzantineBackend', 'NetworkPartition']);
    const r = await runTorture({ scenarios: slots, seed: SEED, iterations: 3 });
    for (const s of r.scenarios) {
      expect(s).toMatchObject({ status: 'skipped', iterations: 0, passed: 0, failed: 0 });
      expect(s.skipReason).toBe('object-store backends not implemented yet');
    }
    expect(r.totals).toMatchObject({ iterations: 0, passed: 0, skippedScenarios: 2 });
    await expect(
      slots[0]?.run({ seed: 1, iteration: 0, workDir: '', signal: new AbortController().signal }),
    ).rejects.toThrow(/^skipped: object-store backends not implemented yet$/);
  });
});

describe('torture: the suite can fail', () => {
  it('PowerLoss catches a WAL that acknowledges before its fsync has completed', async () => {
    // The mutant: every async sync is started but reported done at once, so the WAL acknowledges records
    // that a power loss can still take away.
    const open = SimDisk.prototype.open;
    const spy = vi.spyOn(SimDisk.prototype, 'open').mockImplementation(function (
      this: SimDisk,
      ...args: Parameters<SimDisk['open']>
    ): FileHandle {
      const h = open.apply(this, args);
      const early = (sync: () => Promise<void>) => (): Promise<void> => {
        sync().catch(() => undefined);
        return Promise.resolve();
      };
      return {
        path: h.path,
        write: (d, p) => h.write(d, p),
        read: (b, o, l, p) => h.read(b, o, l, p),
        size: () => h.size(),
        truncate: (l) => h.truncate(l),
        datasync: early(() => h.datasync()),
        datasyncSync: () => h.datasyncSync(),
        fsync: early(() => h.fsync()),
        close: () => h.close(),
      };
    });
    try {
      const r = await runTorture({ scenarios: [powerLoss], seed: SEED, iterations: 10 });
      expect(r.totals.failed).toBeGreaterThan(0);
      expect(r.failures.flatMap((f) => f.violations).join('\n')).toMatch(
        /acknowledged records? [\d.]+.* (is|are) lost/,
      );
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});

describe('torture: defects found by the suite stay fixed', () => {
  for (const d of FIXED_DEFECT_SEEDS) {
    it(`${d.id}: ${d.scenario} seed ${d.seed} passes`, async () => {
      const scenario = SIMULATED_SCENARIOS.find((s) => s.name === d.scenario);
      expect(scenario, `scenario ${d.scenario}`).toBeDefined();
      const result = await scenario?.run({
        seed: d.seed,
        iteration: 0,
        workDir: '',
        signal: new AbortController().signal,
      });
      expect(result?.violations).toEqual([]);
      expect(result?.ok).toBe(true);
    }, 60_000);
  }
});

describe.skipIf(KNOWN_DEFECTS.length === 0)('torture: known open defects still reproduce', () => {
  for (const d of KNOWN_DEFECTS) {
    it(`${d.id} (${d.title})`, async () => {
      const scenario = SIMULATED_SCENARIOS.find((s) => s.name === d.scenarios[0]);
      const result = await scenario?.run({
        seed: d.seed,
        iteration: 0,
        workDir: '',
        signal: new AbortController().signal,
      });
      expect(
        result && knownDefectsOf(d.scenarios[0] as string, result),
        `${d.id} no longer reproduces at seed ${d.seed}: if it was fixed, move it to FIXED_DEFECT_SEEDS`,
      ).toContain(d.id);
    }, 60_000);
  }
});
