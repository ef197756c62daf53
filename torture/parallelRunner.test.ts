/**
 * The runner with --jobs > 1 (worker threads, torture/pool/): the same
 * seeds and counts as one after another, and no fake passes when a worker
 * hangs, dies, or its scenario can no longer run.
 */
import { describe, expect, it } from 'vitest';
import { iterationSeed } from './prng.ts';
import { hangs, killsWorker, losesRoot, seeded, untilAborted } from './pool/fixtureScenarios.ts';
import { runTorture } from './runner.ts';
import type { IterationResult, Scenario } from './Scenario.ts';

const FIXTURES = new URL('./pool/fixtureScenarios.ts', import.meta.url).href;

/** A run on two worker threads loading the fixture scenarios. */
const runPooled = (
  o: Omit<Parameters<typeof runTorture>[0], 'jobs' | 'workerScenarios'>,
): ReturnType<typeof runTorture> => runTorture({ ...o, jobs: 2, workerScenarios: FIXTURES });

describe('torture runner, parallel', () => {
  it('counts exactly what a sequential run counts, iteration i of a scenario on iterationSeed(master, i)', async () => {
    const o = { scenarios: [seeded], seed: 77, iterations: 60, workerScenarios: FIXTURES };
    const one = await runTorture({ ...o, jobs: 1 });
    const three = await runTorture({ ...o, jobs: 3 });
    const counts = (r: typeof one): unknown =>
      r.scenarios.map((s) => [s.name, s.status, s.iterations, s.passed, s.failed, s.noFault, s.acknowledged]);
    expect(counts(three)).toEqual(counts(one));
    expect(three.totals).toEqual(one.totals);
    // The expectations follow from the fixture's rules applied to the 60 seeds.
    const seeds = Array.from({ length: 60 }, (_, i) => iterationSeed(77, i));
    const failing = seeds.map((s, i) => [i, s] as const).filter(([, s]) => s % 7 === 0);
    expect(failing.length).toBeGreaterThan(0);
    expect(three.failures.map((f) => [f.iteration, f.seed, f.reproduce])).toEqual(
      failing.map(([i, s]) => [
        i,
        s,
        `npm run otel-audit -- torture --scenarios Seeded --seed ${s} --iterations 1`,
      ]),
    );
    expect(three.failures[0]?.violations).toEqual([`seed ${failing[0]?.[1]} lost record 3`]);
    expect(three.totals.noFault).toBe(seeds.filter((s) => s % 7 !== 0 && s % 5 === 0).length);
    expect(three.stoppedBy).toBe('iterations');
  });

  it('fails a hang (terminating its worker) and an iteration whose worker died, and goes on', async () => {
    const r = await runPooled({
      scenarios: [hangs, killsWorker, seeded],
      seed: 3,
      iterations: 6,
      iterationTimeoutMs: 1500,
    });
    const by = (name: string): (typeof r.scenarios)[number] | undefined =>
      r.scenarios.find((s) => s.name === name);
    // The hang retires its scenario; iterations already handed out still count.
    expect(by('HangsAtOne')).toMatchObject({ status: 'failed', failed: 1 });
    expect(r.failures.find((f) => f.scenario === 'HangsAtOne')).toMatchObject({ iteration: 1 });
    expect(r.failures.find((f) => f.scenario === 'HangsAtOne')?.violations[0]).toMatch(
      /did not finish in time/,
    );
    expect(by('KillsWorker')).toMatchObject({ iterations: 6, passed: 5, failed: 1 });
    expect(r.failures.find((f) => f.scenario === 'KillsWorker')).toMatchObject({ iteration: 2 });
    expect(r.failures.find((f) => f.scenario === 'KillsWorker')?.violations[0]).toMatch(
      /worker thread exited \(code 7\)/,
    );
    expect(by('Seeded')?.iterations).toBe(6);
  });

  it('retires a scenario that can no longer run, with its reason, never counting it as passed', async () => {
    const r = await runPooled({ scenarios: [losesRoot], seed: 1, iterations: 10 });
    expect(r.scenarios[0]).toMatchObject({
      iterations: 3,
      passed: 3,
      skipReason: 'the tmpfs could no longer be mounted',
    });
  });

  it('runs real scenarios, and scenarios the workers do not have, in this thread', async () => {
    const threads: string[] = [];
    const local = (name: string, kind: Scenario['kind']): Scenario => ({
      name,
      kind,
      description: name,
      run: (): Promise<IterationResult> => {
        threads.push(name);
        return Promise.resolve({ ok: true, acknowledged: 0, faults: 1, violations: [] });
      },
    });
    const r = await runPooled({
      scenarios: [local('RealOne', 'real'), local('NotInWorkers', 'simulated'), seeded],
      seed: 5,
      iterations: 4,
      workRoot: process.env.TMPDIR ?? '/tmp',
    });
    expect(threads.filter((n) => n === 'RealOne')).toHaveLength(4);
    expect(threads.filter((n) => n === 'NotInWorkers')).toHaveLength(4);
    expect(r.totals.iterations).toBe(12);
  });

  it('at the end of the budget stops the iterations in flight; they count only if they failed', async () => {
    const r = await runPooled({ scenarios: [untilAborted], seed: 2, durationMs: 300 });
    const odd = [0, 1].map((i) => iterationSeed(2, i)).filter((s) => s % 2 === 1).length;
    expect(r.stoppedBy).toBe('duration');
    expect(r.scenarios[0]).toMatchObject({ iterations: odd, passed: 0, failed: odd });
  });
});
