/**
 * Validation of a configuration value with a zod schema, turning zod issues
 * into path-prefixed `RawIssue`s. Unions are reported through their closest
 * branch rather than as one opaque "invalid input".
 *
 * Values that a whole-scalar `${...}` reference turned into a non-string (a
 * number, a boolean, a list, a map) are given back as their text where the
 * schema wants a string, as the Collector does for string fields.
 */
import type { z } from 'zod';
import type { ExpandedOriginal } from './expand.ts';
import type { RawIssue } from './issues.ts';
import { pathKey } from './path.ts';
import type { ConfigPath } from './path.ts';
import { cloneDeep, isPlainMap, setKey } from './plain.ts';
import { zodMessage } from './zodMessages.ts';

const STRING_FIXUP_ROUNDS_MAX = 8;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: RawIssue[] };

interface FlatIssue {
  readonly code: string;
  readonly path: ConfigPath;
  readonly message: string;
  readonly expected?: string;
  /** For unknown keys: the first of them, where the line number should point. */
  readonly key?: string;
}

export function validateWithSchema<T>(
  schema: z.ZodType<T>,
  value: unknown,
  basePath: ConfigPath,
  originals: ReadonlyMap<string, ExpandedOriginal>,
): ValidationResult<T> {
  let input = value;
  for (let round = 0; ; round += 1) {
    const result = schema.safeParse(input, { reportInput: true, error: zodMessage });
    if (result.success) return { ok: true, value: result.data };
    const issues = flatten(result.error.issues, []);
    const fixes = round < STRING_FIXUP_ROUNDS_MAX ? stringFixes(issues, basePath, originals) : [];
    if (fixes.length === 0) {
      const found = dedupe(issues).map((issue): RawIssue => {
        const path = [...basePath, ...issue.path];
        const message = issue.message;
        return issue.key === undefined ? { path, message } : { path, message, locate: [...path, issue.key] };
      });
      return { ok: false, issues: found };
    }
    input = cloneDeep(input);
    for (const fix of fixes) input = setAt(input, fix.path, fix.value);
  }
}

function toPath(path: readonly PropertyKey[]): ConfigPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

/** Replace each failed union by the issues of its branch that got furthest. */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: ConfigPath): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...toPath(issue.path)];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((branch) => flatten(branch, path));
      const typeOnly = branches.every(
        (branch) =>
          branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === path.length,
      );
      if (typeOnly) {
        const expected = [...new Set(branches.map((branch) => labelOf(branch[0]?.message ?? '')))];
        const got = / got (.*)$/.exec(branches[0]?.[0]?.message ?? '')?.[1] ?? 'something else';
        out.push({ code: 'invalid_type', path, message: `expected ${expected.join(' or ')}, got ${got}` });
        for (const branch of branches) out.push(...branch.filter((b) => b.expected === 'string').map(hidden));
        continue;
      }
      out.push(...bestBranch(branches));
      continue;
    }
    if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
      out.push({ code: issue.code, path, message: issue.message, key: issue.keys[0] });
      continue;
    }
    const expected = issue.code === 'invalid_type' ? issue.expected : undefined;
    out.push(
      expected === undefined
        ? { code: issue.code, path, message: issue.message }
        : { code: issue.code, path, message: issue.message, expected },
    );
  }
  return out;
}

/** Branch issues kept only so that the string fix-up can see them. */
function hidden(issue: FlatIssue): FlatIssue {
  return { ...issue, code: 'hidden' };
}

function labelOf(message: string): string {
  return /^expected (.*?), got /.exec(message)?.[1] ?? message;
}

function bestBranch(branches: readonly FlatIssue[][]): FlatIssue[] {
  let best: FlatIssue[] = branches[0] ?? [];
  let bestDepth = -1;
  for (const branch of branches) {
    const depth = Math.max(...branch.map((issue) => issue.path.length));
    if (depth > bestDepth || (depth === bestDepth && branch.length < best.length)) {
      best = branch;
      bestDepth = depth;
    }
  }
  return best;
}

function dedupe(issues: readonly FlatIssue[]): FlatIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    if (issue.code === 'hidden') return false;
    const key = `${pathKey(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function stringFixes(
  issues: readonly FlatIssue[],
  basePath: ConfigPath,
  originals: ReadonlyMap<string, ExpandedOriginal>,
): { path: ConfigPath; value: string }[] {
  const fixes: { path: ConfigPath; value: string }[] = [];
  for (const issue of issues) {
    if (issue.expected !== 'string') continue;
    const original = originals.get(pathKey([...basePath, ...issue.path]));
    if (original !== undefined) fixes.push({ path: issue.path, value: original.original });
  }
  return fixes;
}

function setAt(root: unknown, path: ConfigPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(root) && typeof head === 'number' && head < root.length) {
    root[head] = setAt(root[head], rest, value);
  } else if (isPlainMap(root) && typeof head === 'string' && Object.hasOwn(root, head)) {
    setKey(root, head, setAt(root[head], rest, value));
  }
  return root;
}
