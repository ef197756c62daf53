/**
 * One configuration source parsed from YAML text, keeping the document and a
 * line counter so that later problems can be pointed at a line and column.
 *
 * Parsing is YAML 1.2 (core schema: `yes`/`on` stay strings, as in the
 * Collector's go-yaml v3 when decoding untyped values), with merge keys (`<<`),
 * and duplicate keys rejected. Only one document per source.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import type { IssueList } from './issues.ts';
import { findPairAtOffset } from './locate.ts';
import type { ConfigPath } from './path.ts';

export const CONFIG_TEXT_LENGTH_MAX = 4 * 1024 * 1024;
export const YAML_ALIAS_COUNT_MAX = 1000;

export interface ParsedSource {
  readonly name: string;
  /** The plain value of the document, or undefined when it could not be parsed. */
  readonly value: unknown;
  readonly doc?: Document.Parsed;
  readonly lineCounter?: LineCounter;
}

export const YAML_PARSE_OPTIONS = {
  version: '1.2',
  uniqueKeys: true,
  merge: true,
  prettyErrors: false,
  logLevel: 'error',
} as const;

export function parseYamlSource(name: string, text: string, issues: IssueList): ParsedSource {
  if (text.length > CONFIG_TEXT_LENGTH_MAX) {
    issues.errors.push({
      path: [],
      message: `${name}: the configuration is larger than ${CONFIG_TEXT_LENGTH_MAX} characters`,
    });
    return { name, value: undefined };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_PARSE_OPTIONS, lineCounter });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: name, line, column: col };
  };
  for (const error of doc.errors) {
    issues.errors.push(describeParseError(doc, error, position(error.pos[0])));
  }
  for (const warning of doc.warnings) {
    issues.warnings.push({ path: [], message: warning.message, source: position(warning.pos[0]) });
  }
  checkKeys(doc.contents, [], issues, position);
  if (doc.errors.length > 0) return { name, value: undefined, doc, lineCounter };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: YAML_ALIAS_COUNT_MAX });
  } catch (error) {
    issues.errors.push({ path: [], message: `${name}: ${(error as Error).message}` });
    return { name, value: undefined, doc, lineCounter };
  }
  return { name, value, doc, lineCounter };
}

function describeParseError(
  doc: Document.Parsed,
  error: YAMLError,
  source: { file: string; line: number; column: number },
) {
  if (error.code === 'DUPLICATE_KEY') {
    const found = findPairAtOffset(doc, error.pos[0]);
    if (found !== undefined) {
      return { path: found.parentPath, message: `duplicate key "${found.key}"`, source };
    }
  }
  return { path: [], message: error.message, source };
}

/** Keys must be scalars: a list or map used as a key has no place in a Collector config. */
function checkKeys(
  node: unknown,
  path: ConfigPath,
  issues: IssueList,
  position: (offset: number) => { file: string; line: number; column: number },
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) {
        const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
        issues.errors.push({ path, message: 'map keys must be strings', source: position(offset) });
        continue;
      }
      checkKeys(pair.value, [...path, String(pair.key.value)], issues, position);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => checkKeys(item, [...path, index], issues, position));
  }
}
