/**
 * Turning each configuration source (a YAML file, a YAML string, a plain
 * object) into a plain map, collecting every parse problem.
 */
import { readFailure } from './references.ts';
import type { ConfigSource } from '../ConfigSource.ts';
import type { IssueList } from './issues.ts';
import type { ConfigPath } from './path.ts';
import { describeValue, isPlainMap, setKey } from './plain.ts';
import type { PlainMap } from './plain.ts';
import { parseYamlSource } from './yamlSource.ts';
import type { ParsedSource } from './yamlSource.ts';

const OBJECT_DEPTH_MAX = 64;

export function sourceName(source: ConfigSource, index: number): string {
  switch (source.kind) {
    case 'file':
      return source.name ?? source.path;
    case 'yaml':
      return source.name ?? `<yaml #${index + 1}>`;
    case 'object':
      return source.name ?? `<object #${index + 1}>`;
  }
}

export function parseSource(
  source: ConfigSource,
  index: number,
  readFile: (path: string) => string,
  issues: IssueList,
): ParsedSource {
  const name = sourceName(source, index);
  if (source.kind === 'object') {
    const before = issues.errors.length;
    const value = toPlain(source.value, [], 0, name, issues);
    return checkRoot({ name, value: issues.errors.length > before ? undefined : value }, issues);
  }
  let text: string;
  if (source.kind === 'file') {
    try {
      text = readFile(source.path);
    } catch (error) {
      issues.error([], `cannot read the configuration file "${source.path}": ${readFailure(error)}`);
      return { name, value: undefined };
    }
  } else {
    text = source.text;
  }
  return checkRoot(parseYamlSource(name, text, issues), issues);
}

/** The top level must be a map; an empty document counts as an empty map. */
function checkRoot(source: ParsedSource, issues: IssueList): ParsedSource {
  if (source.value === null) return { ...source, value: {} };
  if (source.value === undefined || isPlainMap(source.value)) return source;
  const start = source.doc?.contents?.range[0] ?? 0;
  const position = source.lineCounter?.linePos(start);
  issues.errors.push({
    path: [],
    message: `the top level of the configuration must be a map, got ${describeValue(source.value)}`,
    ...(position === undefined
      ? {}
      : { source: { file: source.name, line: position.line, column: position.col } }),
  });
  return { ...source, value: undefined };
}

/** A copy of a caller's object, refusing what YAML could not have produced. */
function toPlain(value: unknown, path: ConfigPath, depth: number, name: string, issues: IssueList): unknown {
  if (depth > OBJECT_DEPTH_MAX) {
    issues.error(path, `${name}: nested more than ${OBJECT_DEPTH_MAX} levels deep`);
    return undefined;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    issues.error(path, `${name}: ${value} is not a finite number`);
    return undefined;
  }
  if (Array.isArray(value))
    return value.map((item: unknown, i) => toPlain(item, [...path, i], depth + 1, name, issues));
  if (isPlainMap(value)) {
    const out: PlainMap = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) setKey(out, key, toPlain(item, [...path, key], depth + 1, name, issues));
    }
    return out;
  }
  issues.error(
    path,
    `${name}: unsupported value of type ${typeof value === 'object' ? 'object (not a plain map)' : typeof value}`,
  );
  return undefined;
}
