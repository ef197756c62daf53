/**
 * Configuration problems found while compiling a component's configuration:
 * each carries the path below the component (`actions[0]::pattern`) so
 * that the zod schema can report it at the exact YAML path, and `create`
 * can refuse a configuration that skipped validation.
 */
import type { z } from 'zod';
import { formatPath } from '../../../config/internal/path.ts';
import { OtelAuditError } from '../../../src/errors.ts';

export type ProblemPath = readonly (string | number)[];

export interface ConfigProblem {
  readonly path: ProblemPath;
  readonly message: string;
}

/** Collects problems under a path prefix. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];

  add(path: ProblemPath, message: string): void {
    this.items.push({ path, message });
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}

/** Reports problems as zod issues (used from `.superRefine`). */
export function reportProblems(ctx: z.RefinementCtx, problems: ProblemList): void {
  for (const problem of problems.items) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.path] });
  }
}

/** For `create`: a configuration that did not pass the schema is a programming error of the caller. */
export function throwIfProblems(component: string, problems: ProblemList): void {
  if (problems.empty) return;
  const text = problems.items.map((p) => `${formatPath(p.path) || '(top)'}: ${p.message}`).join('; ');
  throw new OtelAuditError('CONFIG_INVALID', `${component}: invalid configuration: ${text}`);
}
