/**
 * Problems found while resolving a configuration, before they are given their
 * source location. `path` is what the user reads; `locate` (when set) is the
 * more precise value to point the line number at, e.g. the list item of a
 * pipeline that references a missing component while `path` stays
 * `service::pipelines::logs` as in the Collector's messages.
 */
import type { SourceLocation } from '../ConfigError.ts';
import type { ConfigPath } from './path.ts';

export interface RawIssue {
  readonly path: ConfigPath;
  readonly message: string;
  readonly locate?: ConfigPath;
  readonly source?: SourceLocation;
}

/** Errors and warnings collected in one pass, so every problem is reported at once. */
export class IssueList {
  readonly errors: RawIssue[] = [];
  readonly warnings: RawIssue[] = [];

  error(path: ConfigPath, message: string, locate?: ConfigPath): void {
    this.errors.push(locate === undefined ? { path, message } : { path, message, locate });
  }

  warn(path: ConfigPath, message: string, locate?: ConfigPath): void {
    this.warnings.push(locate === undefined ? { path, message } : { path, message, locate });
  }
}
