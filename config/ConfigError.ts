/**
 * The one error the configuration layer throws: every problem found in a
 * configuration, each with its `::` path and, where the YAML parser can give
 * it, the file, line and column. The message renders all of them, one per line.
 */
import { OtelAuditError } from '../src/errors.ts';

/** Where a configuration value was written. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ConfigIssue {
  /** The Collector-style path (`receivers::otlp::protocols`); empty for problems of a whole file. */
  readonly path: string;
  readonly message: string;
  readonly source?: SourceLocation;
}

/** `file:line:column: path: message`, leaving out what is unknown. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.source === undefined ? '' : `${formatSourceLocation(issue.source)}: `;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${path}${issue.message}`;
}

export function formatSourceLocation(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.column}`;
}

export class ConfigError extends OtelAuditError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', renderIssues(issues));
    this.issues = issues;
  }
}

function renderIssues(issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
  return [
    `invalid configuration (${count}):`,
    ...issues.map((issue) => `  ${formatConfigIssue(issue)}`),
  ].join('\n');
}
