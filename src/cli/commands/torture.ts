/**
 * `otel-audit torture [--scenarios A,B] [--iterations N | --duration 10m]
 * [--seed S] [--report FILE.html] [--json FILE] [--list]`: runs the torture
 * suite (torture/, docs/torture.md) — crash, corruption, full-disk, fsync
 * failure, clock-jump and slow-disk scenarios against the real WAL — and
 * applies the one oracle after each fault. Iterations are seeded from the
 * master seed; every failure is printed with the exact command that
 * reproduces it. Progress goes to stderr (a bar on a terminal, a line every
 * 10 s otherwise); the summary to stdout; `--report` writes a
 * self-contained HTML report, `--json` the same data as JSON.
 *
 * Exit code: 0 when no iteration failed, 3 when any did (or a scenario
 * module could not be loaded), 1 for an unknown scenario name. Skipped
 * scenarios are listed as skipped, never counted as passed.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parseGoDurationMs } from '../../../config/duration.ts';
import { loadScenarios, type LoadedScenarios } from '../../../torture/registry.ts';
import { captureEnvironment } from '../../../torture/report/environment.ts';
import { renderHtml } from '../../../torture/report/html.ts';
import { buildReport, reportJson } from '../../../torture/report/TortureReport.ts';
import { runTorture, type RunProgress } from '../../../torture/runner.ts';
import type { Scenario } from '../../../torture/Scenario.ts';
import { skipReasonOf } from '../../../torture/skipped.ts';
import { progressLine, summaryText } from '../../../torture/text.ts';
import { OtelAuditError } from '../../errors.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { parsePositiveInteger } from '../internal/argParsers.ts';
import { packageVersion } from '../version.ts';

export interface Duration {
  readonly ms: number;
  readonly text: string;
}

export interface TortureCommandOptions {
  readonly scenarios?: string;
  readonly iterations?: number;
  readonly duration?: Duration;
  readonly seed?: number;
  readonly report?: string;
  readonly json?: string;
  readonly list?: boolean;
  /** Iterations run at the same time (worker threads for the simulated scenarios); default: the CPUs. */
  readonly jobs?: number;
}

export const TORTURE_DEFAULT_DURATION: Duration = { ms: 60_000, text: '1m' };
const TTY_REDRAW_MS = 200;
const LINE_INTERVAL_MS = 10_000;

function parseDuration(value: string): Duration {
  const ms = parseGoDurationMs(value.trim());
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError('expected a duration such as 30s, 10m or 1h30m');
  }
  return { ms, text: value.trim() };
}

function parseSeed(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffff_ffff)
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  return n;
}

export function addTortureCommand(parent: Command, context: CommandContext): void {
  parent
    .command('torture')
    .description(
      'torture the WAL: crashes, corruption, full disk, fsync failures, clock jumps, slow disk (docs/torture.md)',
    )
    .option('--scenarios <names>', 'comma-separated scenario names (default: all; see --list)')
    .option('--iterations <n>', 'iterations per scenario (at most)', parsePositiveInteger)
    .option(
      '--duration <d>',
      'time budget for the whole run, e.g. 30s, 10m, 1h (default 1m without --iterations)',
      parseDuration,
    )
    .option('--seed <s>', 'master seed (default: random, printed)', parseSeed)
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--json <file>', 'write the report data as JSON')
    .option(
      '--jobs <n>',
      'iterations run at the same time, simulated scenarios in worker threads (default: the number of CPUs)',
      parsePositiveInteger,
    )
    .option('--list', 'list the scenarios and exit')
    .action(async (options: TortureCommandOptions, command: Command) => {
      // commander keeps the arguments it parsed (`rawArgs`, untyped): the report records the exact command line.
      const raw = (command.parent as { rawArgs?: unknown } | null)?.rawArgs;
      const argv = Array.isArray(raw) ? raw.map(String) : ['torture'];
      context.setExitCode(await runTortureCommand(options, context.io, argv));
    });
}

/** `load` is for tests (a scenario set of their own); the CLI loads the registry. */
export async function runTortureCommand(
  o: TortureCommandOptions,
  io: CliIo,
  argv: readonly string[] = [],
  load: () => Promise<LoadedScenarios> = loadScenarios,
): Promise<ExitCode> {
  const loaded = await load();
  for (const e of loaded.loadErrors)
    io.stderr.write(`otel-audit: torture: scenario module ${e.file} did not load: ${e.error}\n`);
  if (o.list === true) {
    io.stdout.write(listText(loaded.scenarios));
    return loaded.loadErrors.length > 0 ? EXIT.DAMAGE : EXIT.OK;
  }
  const selected = select(loaded.scenarios, o.scenarios);
  const seed = o.seed ?? randomInt(0, 0x1_0000_0000);
  const duration = o.duration ?? (o.iterations === undefined ? TORTURE_DEFAULT_DURATION : undefined);
  // The workers load the registry's scenarios by name: a caller's own scenario set (tests) runs in this thread.
  const jobs = load === loadScenarios ? (o.jobs ?? os.availableParallelism()) : 1;
  io.stderr.write(
    `otel-audit: torture: ${selected.length} scenarios, master seed ${seed}, ${[o.iterations === undefined ? '' : `${o.iterations} iterations each`, duration === undefined ? '' : `budget ${duration.text}`, `${jobs} jobs`].filter((s) => s !== '').join(', ')}\n`,
  );
  const printer = progressPrinter(io, io.stderr.isTTY === true ? 'bar' : 'lines');
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let result;
  try {
    result = await runTorture({
      scenarios: selected,
      seed,
      ...(o.iterations === undefined ? {} : { iterations: o.iterations }),
      ...(duration === undefined ? {} : { durationMs: duration.ms }),
      onProgress: printer.update,
      signal: abort.signal,
      jobs,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    printer.done();
  }
  io.stdout.write(summaryText(result));
  const report = buildReport({
    tool: `otel-audit ${packageVersion()}`,
    command: ['otel-audit', ...argv].map(shellWord).join(' '),
    rerun: rerunCommand(o, seed, duration),
    environment: captureEnvironment(io.cwd),
    result,
    loadErrors: loaded.loadErrors,
  });
  if (o.report !== undefined) writeOut(path.resolve(io.cwd, o.report), renderHtml(report), io, 'HTML report');
  if (o.json !== undefined) writeOut(path.resolve(io.cwd, o.json), reportJson(report), io, 'JSON report');
  const brokenLoad = o.scenarios === undefined && loaded.loadErrors.length > 0;
  io.stdout.write(
    result.totals.failed === 0 && !brokenLoad
      ? 'result: PASSED\n'
      : `result: FAILED (${result.totals.failed} failing iterations${brokenLoad ? `, ${loaded.loadErrors.length} scenario modules not loaded` : ''})\n`,
  );
  return result.totals.failed === 0 && !brokenLoad ? EXIT.OK : EXIT.DAMAGE;
}

function select(all: readonly Scenario[], names: string | undefined): Scenario[] {
  if (names === undefined) return [...all];
  const wanted = names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = wanted.filter((n) => !all.some((s) => s.name.toLowerCase() === n.toLowerCase()));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `${wanted.length === 0 ? '--scenarios is empty' : `unknown scenario ${unknown.join(', ')}`}; scenarios: ${all.map((s) => s.name).join(', ')}`,
    );
  }
  return all.filter((s) => wanted.some((n) => n.toLowerCase() === s.name.toLowerCase()));
}

function listText(scenarios: readonly Scenario[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  return `${scenarios
    .map((s) => {
      const skip = skipReasonOf(s);
      return `${s.name.padEnd(width)}  ${s.kind.padEnd(9)}  ${skip === undefined ? s.description : `SKIPPED: ${skip}`}`;
    })
    .join('\n')}\n`;
}

function rerunCommand(o: TortureCommandOptions, seed: number, duration: Duration | undefined): string {
  const parts = ['npm run otel-audit -- torture'];
  if (o.scenarios !== undefined) parts.push(`--scenarios ${o.scenarios.replace(/\s+/g, '')}`);
  parts.push(`--seed ${seed}`);
  if (o.iterations !== undefined) parts.push(`--iterations ${o.iterations}`);
  if (duration !== undefined) parts.push(`--duration ${duration.text}`);
  return parts.join(' ');
}

function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function writeOut(file: string, text: string, io: CliIo, what: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  io.stderr.write(`otel-audit: torture: ${what} written to ${file}\n`);
}

/** A bar redrawn in place on a terminal, or a line every 10 s. */
function progressPrinter(
  io: CliIo,
  mode: 'bar' | 'lines',
): { update: (p: RunProgress) => void; done: () => void } {
  let last = 0;
  let drawn = false;
  const interval = mode === 'bar' ? TTY_REDRAW_MS : LINE_INTERVAL_MS;
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      if (mode === 'bar') {
        io.stderr.write(`\r\x1b[2K${progressLine(p).slice(0, (io.stderr.columns ?? 120) - 1)}`);
        drawn = true;
      } else if (p.elapsedMs >= LINE_INTERVAL_MS / 2) {
        io.stderr.write(`${progressLine(p)}\n`);
      }
    },
    done: () => {
      if (drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}
