/**
 * Loading a configuration: parse every source, merge them in order, expand
 * `${...}` references, then validate the whole tree against the Collector's
 * shape and each component's schema. Every problem found is reported at once in
 * one `ConfigError`; nothing is half-loaded.
 */
import path from 'node:path';
import { ConfigError } from './ConfigError.ts';
import type { ConfigIssue } from './ConfigError.ts';
import type { ConfigSource } from './ConfigSource.ts';
import { COMPONENT_KINDS } from './componentSchema.ts';
import type { ComponentCatalog, ComponentKind } from './componentSchema.ts';
import type { ResolvedComponent, ResolvedConfig } from './ResolvedConfig.ts';
import { expandConfig } from './internal/expand.ts';
import { IssueList } from './internal/issues.ts';
import type { RawIssue } from './internal/issues.ts';
import { locatePath } from './internal/locate.ts';
import { mergeSources } from './internal/merge.ts';
import { formatPath, type ConfigPath } from './internal/path.ts';
import { isPlainMap } from './internal/plain.ts';
import type { PlainMap } from './internal/plain.ts';
import { readTextBounded } from './internal/readBounded.ts';
import { REFERENCED_FILE_LENGTH_MAX } from './internal/references.ts';
import { parseSource } from './internal/sources.ts';
import { CONFIG_TEXT_LENGTH_MAX } from './internal/yamlSource.ts';
import { didYouMean } from './internal/suggest.ts';
import { SECTION_OF, validateSection } from './internal/validateComponents.ts';
import { validateService } from './internal/validateService.ts';
import type { ParsedSource } from './internal/yamlSource.ts';
import { realDirectory } from './internal/realDirectory.ts';

const TOP_LEVEL_KEYS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service'];

export interface ResolveConfigOptions {
  readonly catalog: ComponentCatalog;
  /** Variables for `${env:...}`; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory that relative `${file:...}` paths start from; default the working directory. */
  readonly baseDir?: string;
}

/** Loads and validates synchronously (file sources are read with `readFileSync`). Throws `ConfigError`. */
export function resolveConfig(
  sources: readonly ConfigSource[],
  options: ResolveConfigOptions,
): ResolvedConfig {
  const issues = new IssueList();
  // Bounded reads (readBounded.ts): a source or reference as large as /dev/zero is an error, not the
  // process's memory. UTF-8 takes at most 3 bytes per UTF-16 unit (the limits count units).
  const readFile = (path: string) => readTextBounded(path, 3 * CONFIG_TEXT_LENGTH_MAX, false);
  const readReference = referenceReader();
  if (sources.length === 0) issues.error([], 'no configuration source was given');
  const parsed = sources.map((source, index) => parseSource(source, index, readFile, issues));
  if (issues.errors.length > 0) throw toError(issues, parsed);

  const merged = parsed.reduce<unknown>((config, source) => mergeSources(config, source.value), {});
  const env = options.env ?? process.env;
  const expansion = expandConfig(
    merged,
    { env, baseDir: options.baseDir ?? process.cwd(), readFile: readReference },
    issues,
  );
  const failedExpansions = issues.errors.map((issue) => issue.path);
  const expansionErrorCount = issues.errors.length;
  const config = isPlainMap(expansion.value) ? expansion.value : {};

  for (const key of Object.keys(config)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const hint = didYouMean(key, TOP_LEVEL_KEYS);
    issues.error([], `unknown top-level key "${key}"${hint}; valid keys: ${TOP_LEVEL_KEYS.join(', ')}`, [
      key,
    ]);
  }
  const sections = new Map<ComponentKind, Map<string, ResolvedComponent>>();
  const configured = {} as Record<ComponentKind, Map<string, string>>;
  for (const kind of COMPONENT_KINDS) {
    const result = validateSection(
      kind,
      config[SECTION_OF[kind]],
      options.catalog,
      expansion.originals,
      issues,
    );
    sections.set(kind, result.components);
    configured[kind] = result.configured;
  }
  const connectors = connectorIds(config, issues);
  const service = validateService(config['service'], {
    configured,
    connectors,
    originals: expansion.originals,
    issues,
  });
  if (service !== undefined) warnUnused(service.pipelines, service.extensions, configured, issues);
  duplicateWalDirectories(sections.get('exporter'), options.baseDir ?? process.cwd(), issues);

  // A value whose expansion failed is reported once, not again by the checks that read it.
  // Also when the check reports at an ancestor (a pipeline) and locates at the failed value (its item).
  const kept = issues.errors.filter(
    (issue, index) =>
      index < expansionErrorCount ||
      !failedExpansions.some((failed) => isPrefixPath(failed, issue.locate ?? issue.path)),
  );
  if (kept.length > 0 || service === undefined) {
    throw toError({ errors: withUnsetVariables(kept, issues.warnings), warnings: issues.warnings }, parsed);
  }
  return {
    receivers: sections.get('receiver') ?? new Map(),
    processors: sections.get('processor') ?? new Map(),
    exporters: sections.get('exporter') ?? new Map(),
    extensions: sections.get('extension') ?? new Map(),
    service,
    warnings: finalize(issues.warnings, parsed),
  };
}

function connectorIds(config: PlainMap, issues: IssueList): Set<string> {
  const value = config['connectors'];
  if (value === null || value === undefined) return new Set();
  const ids = isPlainMap(value) ? Object.keys(value) : [];
  if (!isPlainMap(value) || ids.length > 0) {
    issues.error(
      ['connectors'],
      'not supported: otel-audit runs only logs pipelines of receivers, processors and exporters',
    );
  }
  return new Set(ids.map((id) => id.trim()));
}

function warnUnused(
  pipelines: ReadonlyMap<
    string,
    { receivers: readonly string[]; processors: readonly string[]; exporters: readonly string[] }
  >,
  extensions: readonly string[],
  configured: Readonly<Record<ComponentKind, ReadonlyMap<string, string>>>,
  issues: IssueList,
): void {
  const used: Record<ComponentKind, Set<string>> = {
    receiver: new Set([...pipelines.values()].flatMap((p) => p.receivers)),
    processor: new Set([...pipelines.values()].flatMap((p) => p.processors)),
    exporter: new Set([...pipelines.values()].flatMap((p) => p.exporters)),
    extension: new Set(extensions),
  };
  for (const kind of COMPONENT_KINDS) {
    for (const [id, key] of configured[kind]) {
      if (used[kind].has(id)) continue;
      const where =
        kind === 'extension' ? 'is not enabled in service::extensions' : 'is not used in any pipeline';
      issues.warn([SECTION_OF[kind], key], `${kind} "${id}" is configured but ${where}`);
    }
  }
}

function toError(
  issues: { errors: readonly RawIssue[]; warnings: readonly RawIssue[] },
  sources: readonly ParsedSource[],
) {
  return new ConfigError(finalize(issues.errors, sources));
}

/** Gives each issue its source position and orders them as they appear in the files. */
function finalize(raw: readonly RawIssue[], sources: readonly ParsedSource[]): ConfigIssue[] {
  const order = new Map(sources.map((source, index) => [source.name, index]));
  const located = raw.map((issue, index) => {
    const source = issue.source ?? locatePath(sources, issue.locate ?? issue.path);
    const out: ConfigIssue = { path: formatPath(issue.path), message: issue.message };
    return { issue: source === undefined ? out : { ...out, source }, index };
  });
  located.sort((a, b) => {
    const sa = a.issue.source;
    const sb = b.issue.source;
    if (sa === undefined || sb === undefined)
      return sa === sb ? a.index - b.index : sa === undefined ? 1 : -1;
    const byFile = (order.get(sa.file) ?? 0) - (order.get(sb.file) ?? 0);
    return byFile || sa.line - sb.line || sa.column - sb.column || a.index - b.index;
  });
  return located.map((entry) => entry.issue);
}

/**
 * All `${file:...}` references of one configuration together retrieve at most this many characters: each
 * is parsed as YAML where it stands, so 200 references to one 800 KB file were 2.5 GB and minutes of
 * parsing before (each file alone is bounded by REFERENCED_FILE_LENGTH_MAX).
 */
export const REFERENCED_TOTAL_LENGTH_MAX = 4 * REFERENCED_FILE_LENGTH_MAX;

/** Reads `${file:...}` references: regular files only, each bounded, read once, all of them bounded. */
function referenceReader(): (path: string) => string {
  const cache = new Map<string, string>();
  let total = 0;
  return (path) => {
    let text = cache.get(path);
    if (text === undefined) {
      text = readTextBounded(path, 3 * REFERENCED_FILE_LENGTH_MAX, true);
      cache.set(path, text);
    }
    total += text.length;
    if (total > REFERENCED_TOTAL_LENGTH_MAX) {
      throw new Error(
        `the configuration's \${file:...} references retrieve more than ${REFERENCED_TOTAL_LENGTH_MAX} characters in all`,
      );
    }
    return text;
  };
}

/** Whether `prefix` is `path` or one of its ancestors. */
function isPrefixPath(prefix: ConfigPath, path: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/**
 * Errors about a value an unset `${env:...}` variable made empty say so: the "is not set" warnings are
 * otherwise lost with a failed load, and `expected a number, got ""` does not name the variable.
 */
function withUnsetVariables(errors: readonly RawIssue[], warnings: readonly RawIssue[]): RawIssue[] {
  const unset = warnings.filter((w) => w.message.includes('is not set'));
  if (unset.length === 0) return [...errors];
  return errors.map((e) => {
    const at = e.locate ?? e.path;
    const related = unset.filter((w) => isPrefixPath(w.path, at) || isPrefixPath(at, w.path));
    return related.length === 0
      ? e
      : { ...e, message: `${e.message} (${related.map((w) => w.message).join('; ')})` };
  });
}

/**
 * Two `audit_wal` exporters on one directory would both open it: the second found it locked by its own
 * process at start (`serve`), which `validate` did not tell. Each needs its own directory (docs/configuration.md).
 */
function duplicateWalDirectories(
  exporters: ReadonlyMap<string, ResolvedComponent> | undefined,
  baseDir: string,
  issues: IssueList,
): void {
  const byDirectory = new Map<string, string>();
  for (const c of exporters?.values() ?? []) {
    // Every configured exporter, used in a pipeline or not: an unused one is not started (Service.build),
    // but naming one directory twice is a lost lock waiting for the edit that wires the spare one in.
    if (c.type !== 'audit_wal') continue;
    const directory = (c.config as { directory?: unknown } | undefined)?.directory;
    if (typeof directory !== 'string') continue;
    // As the exporter opens it (path.resolve against the base directory), symlinks resolved.
    const key = realDirectory(path.resolve(baseDir, directory));
    const first = byDirectory.get(key);
    if (first === undefined) byDirectory.set(key, c.id);
    else {
      issues.error(
        ['exporters', c.id, 'directory'],
        `exporters "${first}" and "${c.id}" both write the WAL directory ${key}; each audit_wal exporter needs its own directory`,
      );
    }
  }
}
