/**
 * Plain-text output of a torture run for the terminal: the progress line
 * and the final summary (per scenario, then every failure with the command
 * that reproduces it).
 */
import type { RunProgress, RunResult, ScenarioStats } from './runner.ts';
import { formatSeconds } from './report/svg.ts';

const BAR_WIDTH = 24;

/** One progress line (no newline): a bar when the total is known, counts, the current scenario. */
export function progressLine(p: RunProgress): string {
  let fraction: number | undefined;
  if (p.durationMs !== undefined) fraction = p.elapsedMs / p.durationMs;
  if (p.iterationsPlanned !== undefined && p.iterationsPlanned > 0) {
    const f = p.iterations / p.iterationsPlanned;
    fraction = fraction === undefined ? f : Math.max(fraction, f);
  }
  const parts = ['otel-audit: torture'];
  if (fraction !== undefined) {
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(f * 100)}%`);
  }
  parts.push(`${p.iterations.toLocaleString('en-US')} iterations`);
  parts.push(`${p.failed} failed`);
  parts.push(formatSeconds(p.elapsedMs / 1000));
  if (p.current !== undefined) parts.push(p.current);
  return parts.join('  ');
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function summaryText(r: RunResult): string {
  const lines: string[] = [];
  lines.push(
    `${pad('scenario', 24)} ${pad('kind', 9)} ${pad('status', 8)} ${pad('iterations', 10, true)} ${pad('failed', 8, true)} ${pad('it/s', 9, true)}  notes`,
  );
  for (const s of r.scenarios) lines.push(scenarioLine(s));
  lines.push('');
  lines.push(
    `${r.totals.iterations} iterations in ${formatSeconds(r.durationMs / 1000)} (master seed ${r.seed}, stopped by ${r.stoppedBy}): ${r.totals.passed} passed, ${r.totals.failed} failed${r.totals.knownDefectFailures > 0 ? ` (${r.totals.knownDefectFailures} explained by known defects)` : ''}${r.totals.noFault > 0 ? `, ${r.totals.noFault} injected no fault (not counted as passed)` : ''}, ${r.totals.skippedScenarios} scenarios skipped`,
  );
  if (r.failures.length > 0) {
    lines.push('');
    lines.push(
      `failures${r.failures.length < r.totals.failed ? ` (first ${r.failures.length} of ${r.totals.failed})` : ''}:`,
    );
    for (const f of r.failures) {
      const known = f.knownDefects.length > 0 ? ` [known defect ${f.knownDefects.join(', ')}]` : ' [NEW]';
      lines.push(`- ${f.scenario} iteration ${f.iteration} seed ${f.seed}${known}`);
      lines.push(`    reproduce: ${f.reproduce}`);
      for (const v of f.violations.slice(0, 5)) lines.push(`    ${v}`);
      if (f.violationCount > 5) lines.push(`    ... and ${f.violationCount - 5} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function scenarioLine(s: ScenarioStats): string {
  const notes =
    s.status === 'skipped'
      ? `skipped: ${s.skipReason ?? ''}`
      : [
          s.knownDefectFailures > 0
            ? `${s.knownDefectFailures} of the failures explained by known defects`
            : '',
          s.noFault > 0 ? `${s.noFault} injected no fault (not counted as passed)` : '',
          s.skipReason !== undefined ? `stopped early, skipped: ${s.skipReason}` : '',
        ]
          .filter((n) => n !== '')
          .join('; ');
  return `${pad(s.name, 24)} ${pad(s.kind, 9)} ${pad(s.status.toUpperCase(), 8)} ${pad(s.iterations.toLocaleString('en-US'), 10, true)} ${pad(String(s.failed), 8, true)} ${pad(s.ratePerSecond.toFixed(1), 9, true)}  ${notes}`;
}
