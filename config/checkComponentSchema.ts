/**
 * The configuration part of the shared conformance test that runs over every
 * registered component (the Collector's generated component tests): returns
 * the ways a component breaks the contract of `componentSchema.ts`, or nothing.
 *
 * The default configuration must pass the schema, except for required keys
 * that only the user can fill in (an exporter's `endpoint`): those are left out
 * of the defaults rather than given a placeholder.
 */
import type { z } from 'zod';
import { COMPONENT_TYPE_PATTERN } from './componentId.ts';
import type { ComponentSchema } from './componentSchema.ts';
import { mergeWithDefaults } from './internal/merge.ts';
import { formatPath } from './internal/path.ts';
import type { ConfigPath } from './internal/path.ts';

export function checkComponentSchema(component: ComponentSchema): string[] {
  const problems: string[] = [];
  for (const name of [component.type, ...(component.aliases ?? [])]) {
    if (!COMPONENT_TYPE_PATTERN.test(name))
      problems.push(`type name "${name}" is not a valid Collector type`);
  }
  const first = component.createDefaultConfig();
  const second = component.createDefaultConfig();
  if (first !== null && typeof first === 'object' && first === second) {
    problems.push('createDefaultConfig() returns the same object twice; it must return a fresh value');
  }
  if (JSON.stringify(first) !== JSON.stringify(second)) {
    problems.push('createDefaultConfig() returns different values on different calls');
  }
  const parsed = component.configSchema.safeParse(mergeWithDefaults(first, null), { reportInput: true });
  // Keys only the user can know (an endpoint) are left out of the defaults and reported as required: fine.
  // With an `exampleConfig`, cross-field rules ("set one of token, tokens, filename") may fail on defaults too.
  const wrong = parsed.success
    ? []
    : parsed.error.issues.filter(
        (issue) =>
          !(issue.code === 'invalid_type' && issue.input === undefined) &&
          !(component.exampleConfig !== undefined && issue.code === 'custom'),
      );
  if (wrong.length > 0) {
    const issues = wrong.map((issue) => `${formatPath(toPath(issue.path)) || '(top)'}: ${issue.message}`);
    problems.push(`the default configuration does not pass the schema: ${issues.join('; ')}`);
  }
  if (component.exampleConfig !== undefined) {
    const example = component.configSchema.safeParse(mergeWithDefaults(first, component.exampleConfig()));
    if (!example.success) {
      const issues = example.error.issues.map(
        (issue) => `${formatPath(toPath(issue.path)) || '(top)'}: ${issue.message}`,
      );
      problems.push(`the example configuration does not pass the schema: ${issues.join('; ')}`);
    }
  }
  for (const path of nonStrictObjects(component.configSchema)) {
    problems.push(
      `the object at "${path || '(top)'}" is not strict: use z.strictObject so that typos are rejected`,
    );
  }
  return problems;
}

function toPath(path: readonly PropertyKey[]): ConfigPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

interface Def {
  readonly type?: string;
  readonly [key: string]: unknown;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Paths of object schemas that let unknown keys through (not `z.strictObject`). */
export function nonStrictObjects(schema: z.ZodType): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  visit(schema, []);
  return found;

  function visit(node: unknown, path: ConfigPath): void {
    const def = defOf(node);
    if (def === undefined || seen.has(node)) return;
    seen.add(node);
    switch (def.type) {
      case 'object': {
        if (defOf(def['catchall'])?.type !== 'never') found.push(formatPath(path));
        for (const [key, child] of Object.entries(
          (def['shape'] as Record<string, unknown> | undefined) ?? {},
        )) {
          visit(child, [...path, key]);
        }
        return;
      }
      case 'array':
        return visit(def['element'], [...path, 0]);
      case 'record':
        return visit(def['valueType'], [...path, '<key>']);
      case 'union':
        for (const option of (def['options'] as unknown[] | undefined) ?? []) visit(option, path);
        return;
      case 'intersection':
        visit(def['left'], path);
        return visit(def['right'], path);
      case 'pipe':
        visit(def['in'], path);
        return visit(def['out'], path);
      case 'lazy':
        return visit((def['getter'] as (() => unknown) | undefined)?.(), path);
      case 'tuple':
        ((def['items'] as unknown[] | undefined) ?? []).forEach((item, index) =>
          visit(item, [...path, index]),
        );
        return;
      default:
        if ('innerType' in def) visit(def['innerType'], path);
    }
  }
}
