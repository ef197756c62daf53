/**
 * The contract between a component factory and the configuration layer.
 *
 * A component (receiver, processor, exporter, extension) exposes its type name,
 * optional alias type names, a zod schema of its configuration and a function
 * returning its complete default configuration. The configuration layer never
 * imports a concrete component: the caller hands it a `ComponentCatalog` built
 * from whatever factories are registered.
 *
 * Rules for a component's schema (checked by `checkComponentSchema`, which the
 * shared conformance test runs over every registered component):
 * - every object is strict (`z.strictObject`): unknown keys are errors, so a
 *   typo is reported by name;
 * - keys are the Collector's snake_case;
 * - `createDefaultConfig()` returns a fresh, complete value that the schema
 *   accepts, with no side effects; a required key that only the user can know
 *   (an exporter's `endpoint`) is left out rather than given a placeholder, so
 *   a config that omits it fails with `...::endpoint: is required`.
 *
 * The loader validates `mergeWithDefaults(createDefaultConfig(), written)`:
 * written maps merge into the defaults key by key, lists and scalars replace
 * them, and an empty value keeps the default (`otlp:` alone means all
 * defaults). A key that is written with an empty value but has no default
 * reaches the schema as `null` (the Collector's "present but empty", e.g. the
 * `otlp` receiver's `protocols: { grpc: }`, which enables gRPC with defaults):
 * accept it with `.nullable()` where that is meaningful.
 */
import type { z } from 'zod';
import { OtelAuditError } from '../src/errors.ts';
import { COMPONENT_TYPE_PATTERN } from './componentId.ts';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension';

export const COMPONENT_KINDS: readonly ComponentKind[] = ['receiver', 'processor', 'exporter', 'extension'];

export interface ComponentSchema<TConfig = unknown> {
  /** The type name used in component ids (`otlp`, `audit_wal`). */
  readonly type: string;
  readonly kind: ComponentKind;
  /** Other accepted type names (`otlphttp` for `otlp_http`). */
  readonly aliases?: readonly string[];
  readonly configSchema: z.ZodType<TConfig>;
  createDefaultConfig(): unknown;
  /**
   * A complete, valid configuration for components whose defaults cannot be
   * (a token, which protocols to serve): the conformance test creates the
   * component from it. Written over the defaults like a user's YAML.
   */
  exampleConfig?(): unknown;
}

/** Looks components up by kind and type name (or alias). */
export interface ComponentCatalog {
  lookup(kind: ComponentKind, type: string): ComponentSchema | undefined;
  /** The canonical type names of one kind, sorted. */
  types(kind: ComponentKind): readonly string[];
}

/**
 * A catalog over a fixed list of components. A type or alias registered twice
 * for the same kind, or one that is not a valid Collector type name, is a
 * programming error and throws `INVALID_ARGUMENT`.
 */
export function createComponentCatalog(components: Iterable<ComponentSchema>): ComponentCatalog {
  const byKind = new Map<ComponentKind, Map<string, ComponentSchema>>();
  const canonical = new Map<ComponentKind, string[]>();
  for (const kind of COMPONENT_KINDS) {
    byKind.set(kind, new Map());
    canonical.set(kind, []);
  }
  for (const component of components) {
    const names = byKind.get(component.kind);
    if (names === undefined) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `component "${component.type}" has unknown kind "${component.kind}"`,
      );
    }
    for (const name of [component.type, ...(component.aliases ?? [])]) {
      if (!COMPONENT_TYPE_PATTERN.test(name)) {
        throw new OtelAuditError('INVALID_ARGUMENT', `invalid ${component.kind} type name "${name}"`);
      }
      if (names.has(name)) {
        throw new OtelAuditError('INVALID_ARGUMENT', `${component.kind} type "${name}" is registered twice`);
      }
      names.set(name, component);
    }
    canonical.get(component.kind)?.push(component.type);
  }
  for (const list of canonical.values()) list.sort();
  return {
    lookup: (kind, type) => byKind.get(kind)?.get(type),
    types: (kind) => canonical.get(kind) ?? [],
  };
}
