/**
 * Validation of one component section (`receivers`, `processors`, `exporters`,
 * `extensions`): ids, types known to the catalog, and each configuration
 * checked by its component's schema after merging over its defaults.
 */
import { formatComponentId, parseComponentId } from '../componentId.ts';
import type { ComponentCatalog, ComponentKind } from '../componentSchema.ts';
import type { ResolvedComponent } from '../ResolvedConfig.ts';
import type { ExpandedOriginal } from './expand.ts';
import type { IssueList } from './issues.ts';
import { mergeWithDefaults } from './merge.ts';
import { describeValue, isPlainMap } from './plain.ts';
import { didYouMean } from './suggest.ts';
import { validateWithSchema } from './zodValidate.ts';

export const SECTION_OF: Readonly<Record<ComponentKind, string>> = {
  receiver: 'receivers',
  processor: 'processors',
  exporter: 'exporters',
  extension: 'extensions',
};

export interface SectionResult {
  /** Components whose configuration is valid, by normalized id. */
  readonly components: Map<string, ResolvedComponent>;
  /** Every well-formed id written in the section (valid or not), normalized id → the key as written. */
  readonly configured: Map<string, string>;
}

export function validateSection(
  kind: ComponentKind,
  value: unknown,
  catalog: ComponentCatalog,
  originals: ReadonlyMap<string, ExpandedOriginal>,
  issues: IssueList,
): SectionResult {
  const section = SECTION_OF[kind];
  const components = new Map<string, ResolvedComponent>();
  const configured = new Map<string, string>();
  if (value === null || value === undefined) return { components, configured };
  if (!isPlainMap(value)) {
    issues.error(
      [section],
      `expected a map of ${kind} ids to their configuration, got ${describeValue(value)}`,
    );
    return { components, configured };
  }
  for (const [key, written] of Object.entries(value)) {
    const path = [section, key];
    const parsed = parseComponentId(key);
    if (!parsed.ok) {
      issues.error(path, parsed.message);
      continue;
    }
    const id = formatComponentId(parsed.id);
    const previous = configured.get(id);
    if (previous !== undefined) {
      issues.error(path, `duplicates the ${kind} id "${previous}"`);
      continue;
    }
    configured.set(id, key);
    const schema = catalog.lookup(kind, parsed.id.type);
    if (schema === undefined) {
      issues.error(path, unknownTypeMessage(kind, parsed.id.type, catalog));
      continue;
    }
    const merged = mergeWithDefaults(schema.createDefaultConfig(), written);
    const result = validateWithSchema(schema.configSchema, merged, path, originals);
    if (!result.ok) {
      issues.errors.push(...result.issues);
      continue;
    }
    const component: ResolvedComponent = { id, kind, type: schema.type, config: result.value, schema };
    components.set(id, parsed.id.name === undefined ? component : { ...component, name: parsed.id.name });
  }
  return { components, configured };
}

function unknownTypeMessage(kind: ComponentKind, type: string, catalog: ComponentCatalog): string {
  const known = catalog.types(kind);
  const names = known.flatMap((name) => [name, ...(catalog.lookup(kind, name)?.aliases ?? [])]);
  if (known.length === 0) return `unknown ${kind} type "${type}": no ${kind} types are available`;
  const listed = known.map((name) => {
    const aliases = catalog.lookup(kind, name)?.aliases ?? [];
    return aliases.length === 0 ? name : `${name} (alias ${aliases.join(', ')})`;
  });
  return `unknown ${kind} type "${type}"${didYouMean(type, names)}; known ${kind} types: ${listed.join(', ')}`;
}
