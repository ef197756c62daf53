/**
 * The runner with fake scenarios: seeds, repro commands, fair interleaving,
 * no fake passes (skips, throws, hangs, cut-short iterations), and the
 * report built from its result (self-contained HTML, the same data as JSON).
 */
import { describe, expect, it } from 'vitest';
import type { IterationContext, IterationResult, Scenario } from './Scenario.ts';
import { iterationSeed, Prng } from './prng.ts';
import { captureEnvironment } from './report/environment.ts';
import { renderHtml } from './report/html.ts';
import { buildReport, reportJson } from './report/TortureReport.ts';
import { reproduceCommand, runTorture } from './runner.ts';
import { notImplementedScenario, ScenarioSkippedError } from './skipped.ts';
import { summaryText } from './text.ts';

const OK: IterationResult = { ok: true, acknowledged: 1, faults: 1, violations: [] };

function fake(
  name: string,
  run: (ctx: IterationContext) => Promise<IterationResult> | IterationResult,
): Scenario {
  return { name, kind: 'simulated', description: `${name} (fake)`, run: async (ctx) => run(ctx) };
}

describe('torture runner', () => {
  it('runs N iterations per scenario from seeds derived from the master seed, iteration 0 = the master', async () => {
    const seen: number[] = [];
    const r = await runTorture({
      scenarios: [fake('A', (ctx) => (seen.push(ctx.seed), OK))],
      seed: 42,
      iterations: 5,
    });
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => iterationSeed(42, i)));
    expect(seen[0]).toBe(42);
    expect(new Set(seen).size).toBe(5);
    expect(r.scenarios[0]).toMatchObject({
      status: 'passed',
      iterations: 5,
      passed: 5,
      failed: 0,
      acknowledged: 5,
    });
    expect(r.totals).toMatchObject({ iterations: 5, passed: 5, failed: 0 });
    expect(r.stoppedBy).toBe('iterations');
  });

  it('records every failure with its seed and the exact command that reproduces it', async () => {
    const r = await runTorture({
      scenarios: [
        fake('Flaky', (ctx) =>
          ctx.iteration === 2
            ? { ok: false, acknowledged: 3, faults: 1, violations: ['record 7 is lost'] }
            : OK,
        ),
      ],
      seed: 9,
      iterations: 4,
    });
    expect(r.failures).toHaveLength(1);
    const f = r.failures[0];
    expect(f).toMatchObject({
      scenario: 'Flaky',
      iteration: 2,
      seed: iterationSeed(9, 2),
      violations: ['record 7 is lost'],
    });
    expect(f?.reproduce).toBe(
      `npm run otel-audit -- torture --scenarios Flaky --seed ${iterationSeed(9, 2)} --iterations 1`,
    );
    expect(f?.reproduce).toBe(reproduceCommand('Flaky', f?.seed as number));
    expect(r.scenarios[0]).toMatchObject({ status: 'failed', passed: 3, failed: 1 });
  });

  it('counts a result that says ok but lists violations as a failure', async () => {
    const r = await runTorture({
      scenarios: [fake('Liar', () => ({ ok: true, acknowledged: 0, faults: 0, violations: ['x'] }))],
      seed: 1,
      iterations: 1,
    });
    expect(r.totals.failed).toBe(1);
  });

  it('fails an iteration that throws, and one that hangs (then stops running that scenario)', async () => {
    let hangs = 0;
    const r = await runTorture({
      scenarios: [
        fake('Thrower', () => {
          throw new Error('boom');
        }),
        fake('Hanger', () => {
          hangs++;
          return new Promise<IterationResult>(() => undefined);
        }),
      ],
      seed: 1,
      iterations: 3,
      iterationTimeoutMs: 50,
    });
    const thrower = r.scenarios.find((s) => s.name === 'Thrower');
    const hanger = r.scenarios.find((s) => s.name === 'Hanger');
    expect(thrower).toMatchObject({ status: 'failed', failed: 3 });
    expect(r.failures.find((f) => f.scenario === 'Thrower')?.violations[0]).toMatch(
      /^the scenario threw: boom/,
    );
    expect(hanger).toMatchObject({ status: 'failed', iterations: 1, failed: 1 });
    expect(hangs).toBe(1);
    expect(r.failures.find((f) => f.scenario === 'Hanger')?.violations[0]).toMatch(/did not finish in time/);
  });

  it('does not count an iteration that injected no fault as passed', async () => {
    const r = await runTorture({
      scenarios: [
        fake('Dud', (ctx) => (ctx.iteration % 2 === 0 ? { ...OK, faults: 0 } : OK)),
        fake('NeverFires', () => ({ ...OK, faults: 0 })),
      ],
      seed: 1,
      iterations: 4,
    });
    expect(r.scenarios.map((s) => [s.name, s.status, s.iterations, s.passed, s.noFault, s.failed])).toEqual([
      ['Dud', 'passed', 4, 2, 2, 0],
      ['NeverFires', 'not run', 4, 0, 4, 0],
    ]);
    expect(r.totals).toMatchObject({ iterations: 8, passed: 2, noFault: 6, failed: 0 });
    expect(summaryText(r)).toMatch(/6 injected no fault \(not counted as passed\)/);
  });

  it('lists registered and run-time skips as skipped, never as passed', async () => {
    let calls = 0;
    const r = await runTorture({
      scenarios: [
        notImplementedScenario({ name: 'Slot', description: 'later', skipReason: 'not built yet' }),
        fake('NoRoot', () => {
          calls++;
          throw new ScenarioSkippedError('cannot mount a tmpfs without root');
        }),
      ],
      seed: 1,
      iterations: 5,
    });
    expect(r.scenarios.map((s) => [s.name, s.status, s.skipReason, s.iterations, s.passed])).toEqual([
      ['Slot', 'skipped', 'not built yet', 0, 0],
      ['NoRoot', 'skipped', 'cannot mount a tmpfs without root', 0, 0],
    ]);
    expect(calls).toBe(1);
    expect(r.totals).toMatchObject({ iterations: 0, passed: 0, failed: 0, skippedScenarios: 2 });
  });

  it('reports a scenario that could no longer run after some iterations, and stops running it', async () => {
    let calls = 0;
    const r = await runTorture({
      scenarios: [
        fake('LosesRoot', () => {
          if (++calls > 2) throw new ScenarioSkippedError('the tmpfs could no longer be mounted');
          return OK;
        }),
      ],
      seed: 1,
      iterations: 5,
    });
    expect(calls).toBe(3);
    expect(r.scenarios[0]).toMatchObject({
      iterations: 2,
      passed: 2,
      skipReason: 'the tmpfs could no longer be mounted',
    });
    expect(summaryText(r)).toMatch(
      /^LosesRoot .*stopped early, skipped: the tmpfs could no longer be mounted$/m,
    );
  });

  it('shares a time budget fairly: a slow scenario and a fast one get about the same time', async () => {
    let clock = 0;
    const r = await runTorture({
      scenarios: [fake('Slow', () => ((clock += 100), OK)), fake('Fast', () => ((clock += 1), OK))],
      seed: 1,
      durationMs: 2000,
      now: () => clock,
    });
    const slow = r.scenarios[0];
    const fast = r.scenarios[1];
    expect(r.stoppedBy).toBe('duration');
    expect(Math.abs((slow?.durationMs ?? 0) - (fast?.durationMs ?? 0))).toBeLessThanOrEqual(100);
    expect(fast?.iterations).toBeGreaterThan(50 * (slow?.iterations ?? 0));
    expect(r.timeline.length).toBeGreaterThan(2);
    expect(r.timeline.at(-1)?.iterations).toEqual({ Slow: slow?.iterations, Fast: fast?.iterations });
  });

  it('does not count an iteration the end of the budget cut short, unless it failed', async () => {
    const r = await runTorture({
      scenarios: [
        fake(
          'Long',
          (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(OK))),
        ),
      ],
      seed: 1,
      durationMs: 30,
    });
    expect(r.scenarios[0]).toMatchObject({ iterations: 0, passed: 0, status: 'not run' });
    expect(r.stoppedBy).toBe('duration');
  });

  it('the PRNG is deterministic per seed and spread over its range', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 1000 }, () => a.int(0, 9));
    expect(Array.from({ length: 1000 }, () => b.int(0, 9))).toEqual(xs);
    for (let d = 0; d <= 9; d++) expect(xs.filter((x) => x === d).length).toBeGreaterThan(50);
  });
});

describe('torture report', () => {
  it('is one self-contained HTML page, and the JSON carries the same data', async () => {
    const result = await runTorture({
      scenarios: [
        fake('Good', () => OK),
        fake('Bad<script>', () => ({ ok: false, acknowledged: 0, faults: 1, violations: ['lost <b>7</b>'] })),
        notImplementedScenario({ name: 'Slot', description: 'later', skipReason: 'not built yet' }),
      ],
      seed: 3,
      iterations: 2,
    });
    const report = buildReport({
      tool: 'otel-audit test',
      command: 'otel-audit torture --iterations 2 --seed 3',
      rerun: 'npm run otel-audit -- torture --seed 3 --iterations 2',
      environment: captureEnvironment(process.cwd()),
      result,
    });
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"]*/g) ?? []).toEqual([
      'http://www.w3.org/2000/svg',
      'http://www.w3.org/2000/svg',
    ]);
    expect(html).toContain('&lt;b&gt;7&lt;/b&gt;');
    expect(html).toContain('Bad&lt;script&gt;');
    expect(html).toContain('otel-audit torture --iterations 2 --seed 3');
    expect(html).toContain(`--scenarios Bad<script>`.replace('<', '&lt;').replace('>', '&gt;'));
    expect(html).toMatch(/SKIPPED/);
    expect(html).toContain(process.version);
    const json = JSON.parse(reportJson(report)) as typeof report;
    expect(json.result.totals).toEqual(result.totals);
    expect(json.result.failures[0]?.reproduce).toBe(result.failures[0]?.reproduce);
    expect(json.environment.node).toBe(process.version);
    expect(json.command).toBe(report.command);
  });
});
