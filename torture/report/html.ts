/**
 * The torture report as one self-contained HTML page: inline CSS and inline
 * SVG charts, no scripts, no external assets — it can be attached to a
 * ticket or archived as a CI artifact and read anywhere.
 */
import type { FailureRecord, ScenarioStats } from '../runner.ts';
import { barChartSvg, escapeXml, formatSeconds, lineChartSvg, PALETTE, type Series } from './svg.ts';
import type { TortureReport } from './TortureReport.ts';

const STATUS_COLOR: Record<ScenarioStats['status'], string> = {
  passed: '#2e7d32',
  failed: '#c62828',
  skipped: '#9e9e9e',
  'not run': '#bdbdbd',
};

const CSS = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.verdict { display: inline-block; padding: 0.2em 0.7em; border-radius: 4px; color: #fff; font-weight: bold; }
.pass { background: #2e7d32; } .fail { background: #c62828; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; background: #f6f8fa; }
pre { padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
.status-passed { color: #2e7d32; font-weight: bold; } .status-failed { color: #c62828; font-weight: bold; }
.status-skipped, .status-not-run { color: #757575; font-weight: bold; }
.failure { border-left: 4px solid #c62828; padding: 0.2em 0.8em; margin: 0.8em 0; background: #fffafa; }
.failure.known { border-left-color: #ef6c00; background: #fffaf3; }
.muted { color: #757575; }
`;

export function renderHtml(report: TortureReport): string {
  const r = report.result;
  const ok = r.totals.failed === 0 && report.loadErrors.length === 0;
  const verdict = ok
    ? '<span class="verdict pass">PASSED</span>'
    : `<span class="verdict fail">FAILED: ${r.totals.failed} failing ${r.totals.failed === 1 ? 'iteration' : 'iterations'}${report.loadErrors.length > 0 ? `, ${report.loadErrors.length} scenario modules not loaded` : ''}</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>otel-audit torture report ${escapeXml(report.environment.date)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>otel-audit torture report</h1>
<p>${verdict} <span class="muted">${escapeXml(report.environment.date)} — ${r.totals.iterations.toLocaleString('en-US')} iterations in ${formatSeconds(r.durationMs / 1000)}, master seed ${r.seed}, stopped by ${escapeXml(r.stoppedBy)}</span></p>
<p>Produced by <code>${escapeXml(report.command)}</code><br>Run it again with <code>${escapeXml(report.rerun)}</code></p>
${section('Scenarios', summaryTable(r.scenarios))}
${section('Iterations per scenario', barChartSvg(bars(r.scenarios), 'Iterations per scenario'))}
${section('Iterations over time', lineChartSvg(series(report), 'Cumulative iterations per scenario'))}
${section('Failures', failuresHtml(r.failures, r.totals.failed))}
${section('Known defects', knownDefectsHtml(report))}
${report.loadErrors.length > 0 ? section('Scenario modules that did not load', loadErrorsHtml(report)) : ''}
${section('Measurements', metricsHtml(r.scenarios))}
${section('Environment', environmentHtml(report))}
</body>
</html>
`;
}

function section(title: string, body: string): string {
  return `<h2>${escapeXml(title)}</h2>\n${body}`;
}

function summaryTable(stats: readonly ScenarioStats[]): string {
  const rows = stats.map((s) => {
    const failed =
      s.failed > 0 && s.knownDefectFailures > 0
        ? `${s.failed} (${s.knownDefectFailures} known)`
        : `${s.failed}`;
    return `<tr><td>${escapeXml(s.name)}</td><td>${s.kind}</td><td class="status-${s.status.replace(' ', '-')}">${s.status.toUpperCase()}</td>
<td class="num">${s.iterations.toLocaleString('en-US')}</td><td class="num">${s.passed.toLocaleString('en-US')}</td><td class="num">${failed}</td><td class="num">${s.noFault.toLocaleString('en-US')}</td>
<td class="num">${s.ratePerSecond.toFixed(s.ratePerSecond < 10 ? 2 : 1)}</td><td class="num">${formatSeconds(s.durationMs / 1000)}</td>
<td class="num">${s.acknowledged.toLocaleString('en-US')}</td><td class="num">${s.faults.toLocaleString('en-US')}</td>
<td>${escapeXml(s.skipReason ?? s.description)}</td></tr>`;
  });
  return `<table>
<tr><th>scenario</th><th>kind</th><th>status</th><th>iterations</th><th>passed</th><th>failed</th><th title="iterations that found nothing wrong but injected no fault: not counted as passed">no fault</th><th>rate (it/s)</th><th>time</th><th>acknowledged</th><th>faults</th><th>what it does / why skipped</th></tr>
${rows.join('\n')}
</table>`;
}

function bars(
  stats: readonly ScenarioStats[],
): Array<{ label: string; value: number; color: string; note?: string }> {
  return stats.map((s) => ({
    label: s.name,
    value: s.iterations,
    color: STATUS_COLOR[s.status],
    ...(s.status === 'skipped'
      ? { note: '(skipped)' }
      : s.failed > 0
        ? { note: `(${s.failed} failed)` }
        : {}),
  }));
}

function series(report: TortureReport): Series[] {
  const r = report.result;
  return r.scenarios
    .filter((s) => s.iterations > 0)
    .map((s, i) => ({
      label: s.name,
      color: PALETTE[i % PALETTE.length] as string,
      points: r.timeline.map((p) => [p.tMs / 1000, p.iterations[s.name] ?? 0] as const),
    }));
}

function failuresHtml(failures: readonly FailureRecord[], total: number): string {
  if (total === 0) return '<p>None.</p>';
  const shown =
    failures.length < total
      ? `<p class="muted">The first ${failures.length} of ${total} are listed.</p>`
      : '';
  return (
    shown +
    failures
      .map((f) => {
        const known = f.knownDefects.length > 0;
        const more =
          f.violationCount > f.violations.length
            ? `<li class="muted">... and ${f.violationCount - f.violations.length} more</li>`
            : '';
        return `<div class="failure${known ? ' known' : ''}">
<p><b>${escapeXml(f.scenario)}</b> iteration ${f.iteration}, seed <b>${f.seed}</b>${known ? ` — known defect ${escapeXml(f.knownDefects.join(', '))}` : ' — <b>new</b>'} <span class="muted">(${f.durationMs.toFixed(0)} ms, ${f.acknowledged} acknowledged, ${f.faults} faults)</span></p>
<pre>${escapeXml(f.reproduce)}</pre>
<ul>${f.violations.map((v) => `<li>${escapeXml(v)}</li>`).join('')}${more}</ul>
</div>`;
      })
      .join('\n')
  );
}

function knownDefectsHtml(report: TortureReport): string {
  if (report.knownDefects.length === 0) return '<p>None recorded.</p>';
  const rows = report.knownDefects.map(
    (d) =>
      `<tr><td>${escapeXml(d.id)}</td><td class="num">${d.failures}</td><td><b>${escapeXml(d.title)}</b><br><code>${escapeXml(d.where)}</code><br>${escapeXml(d.detail)}</td></tr>`,
  );
  return `<p class="muted">Defects found earlier and not fixed yet (torture/knownDefects.ts). A failure they explain still counts as a failure.</p>
<table><tr><th>id</th><th>failures in this run</th><th>defect</th></tr>
${rows.join('\n')}
</table>`;
}

function loadErrorsHtml(report: TortureReport): string {
  return `<ul>${report.loadErrors.map((e) => `<li><code>${escapeXml(e.file)}</code>: ${escapeXml(e.error)}</li>`).join('')}</ul>`;
}

function metricsHtml(stats: readonly ScenarioStats[]): string {
  const rows = stats
    .filter((s) => Object.keys(s.metricsMax).length > 0)
    .map((s) => {
      const cells = Object.keys(s.metricsMax)
        .sort()
        .map((k) => `${escapeXml(k)}: max ${fmt(s.metricsMax[k])}, total ${fmt(s.metricsSum[k])}`);
      return `<tr><td>${escapeXml(s.name)}</td><td>${cells.join('<br>')}</td></tr>`;
    });
  if (rows.length === 0) return '<p>None.</p>';
  return `<table><tr><th>scenario</th><th>per-iteration measurements</th></tr>\n${rows.join('\n')}\n</table>`;
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function environmentHtml(report: TortureReport): string {
  const e = report.environment;
  const rows: Array<[string, string]> = [
    ['date', e.date],
    ['node', e.node],
    ['platform', `${e.platform} (${e.arch})`],
    ['cpus', `${e.cpus} × ${e.cpuModel}`],
    ['memory', `${(e.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    [
      'git commit',
      e.gitCommit === undefined
        ? 'unknown'
        : `${e.gitCommit}${e.gitDirty ? ' (with uncommitted changes)' : ''}`,
    ],
    ['tool', report.tool],
  ];
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>`;
}
