/**
 * Loading a configuration: parse every source, merge them in order, expand
 * `${...}` references, then validate the whole tree against the Collector's
 * shape and each component's schema. Every problem found is reported at once in
 * one `ConfigError`; nothing is half-loaded.
 */
import { readFileSync } from 'node:fs';
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
import { formatPath, pathKey } from './internal/path.ts';
import { isPlainMap } from './internal/plain.ts';
import type { PlainMap } from './internal/plain.ts';
import { parseSource } from './internal/sources.ts';
import { didYouMean } from './internal/suggest.ts';
import { SECTION_OF, validateSection } from './internal/validateComponents.ts';
import { validateService } from './internal/validateService.ts';
import type { ParsedSource } from './internal/yamlSource.ts';

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
  const readFile = (path: string) => readFileSync(path, 'utf8');
  if (sources.length === 0) issues.error([], 'no configuration source was given');
  const parsed = sources.map((source, index) => parseSource(source, index, readFile, issues));
  if (issues.errors.length > 0) throw toError(issues, parsed);

  const merged = parsed.reduce<unknown>((config, source) => mergeSources(config, source.value), {});
  const env = options.env ?? process.env;
  const expansion = expandConfig(
    merged,
    { env, baseDir: options.baseDir ?? process.cwd(), readFile },
    issues,
  );
  const failedExpansions = new Set(issues.errors.map((issue) => pathKey(issue.path)));
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

  // A value whose expansion failed is reported once, not again by the checks that read it.
  const kept = issues.errors.filter(
    (issue, index) => index < expansionErrorCount || !failedExpansions.has(pathKey(issue.path)),
  );
  if (kept.length > 0 || service === undefined) {
    throw toError({ errors: kept, warnings: issues.warnings }, parsed);
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
