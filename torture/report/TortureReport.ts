/**
 * The data of a torture report: what the HTML report shows and what
 * `--json FILE` writes (the same object). `version` changes when a field
 * changes meaning.
 */
import { KNOWN_DEFECTS } from '../knownDefects.ts';
import type { RunResult } from '../runner.ts';
import type { TortureEnvironment } from './environment.ts';

export const TORTURE_REPORT_VERSION = 1;

export interface KnownDefectSummary {
  readonly id: string;
  readonly title: string;
  readonly where: string;
  readonly detail: string;
  /** Failures of this run attributed to it. */
  readonly failures: number;
}

export interface TortureReport {
  readonly version: number;
  readonly tool: string;
  /** The command line that produced this report. */
  readonly command: string;
  /** The same run again (the resolved seed and budget). */
  readonly rerun: string;
  readonly environment: TortureEnvironment;
  readonly result: RunResult;
  readonly knownDefects: readonly KnownDefectSummary[];
  /** Scenario modules that did not load (their scenarios did not run). */
  readonly loadErrors: ReadonlyArray<{ readonly file: string; readonly error: string }>;
}

export function buildReport(o: {
  readonly tool: string;
  readonly command: string;
  readonly rerun: string;
  readonly environment: TortureEnvironment;
  readonly result: RunResult;
  readonly loadErrors?: TortureReport['loadErrors'];
}): TortureReport {
  return {
    version: TORTURE_REPORT_VERSION,
    tool: o.tool,
    command: o.command,
    rerun: o.rerun,
    environment: o.environment,
    result: o.result,
    knownDefects: KNOWN_DEFECTS.map((d) => ({
      id: d.id,
      title: d.title,
      where: d.where,
      detail: d.detail,
      failures: o.result.knownDefectCounts[d.id] ?? 0,
    })),
    loadErrors: o.loadErrors ?? [],
  };
}

/** The report as JSON text (two-space indent, trailing newline). */
export function reportJson(report: TortureReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
