/**
 * Maps configuration paths to YAML source positions. With several sources the
 * value at a path comes from the last source that defines it, so the search
 * prefers the deepest match and, among equally deep ones, the later source.
 * Values that exist in no file (defaults, results of `${...}` expansion) are
 * pointed at their deepest written ancestor.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { SourceLocation } from '../ConfigError.ts';
import type { ConfigPath } from './path.ts';

export interface LocatableSource {
  readonly name: string;
  readonly doc?: Document.Parsed;
  readonly lineCounter?: LineCounter;
}

export function locatePath(
  sources: readonly LocatableSource[],
  path: ConfigPath,
): SourceLocation | undefined {
  let best: { depth: number; offset: number; source: LocatableSource } | undefined;
  for (let index = sources.length - 1; index >= 0; index -= 1) {
    const source = sources[index];
    if (source?.doc === undefined || source.lineCounter === undefined) continue;
    const found = walk(source.doc, path);
    if (found !== undefined && (best === undefined || found.depth > best.depth)) {
      best = { ...found, source };
    }
  }
  if (best === undefined || best.source.lineCounter === undefined) return undefined;
  const { line, col } = best.source.lineCounter.linePos(best.offset);
  return { file: best.source.name, line, column: col };
}

function walk(doc: Document.Parsed, path: ConfigPath): { depth: number; offset: number } | undefined {
  let node: unknown = doc.contents;
  let depth = 0;
  let offset: number | undefined;
  for (const segment of path) {
    node = deref(doc, node);
    if (isMap(node) && typeof segment === 'string') {
      const pair = findPair(doc, node, segment, 0);
      if (pair === undefined) break;
      depth += 1;
      offset = positionOf(pair.key, pair.value);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      const start = rangeStart(item);
      if (start === undefined) break;
      depth += 1;
      offset = start;
      node = item;
    } else {
      break;
    }
  }
  if (depth === 0 || offset === undefined) return undefined;
  return { depth, offset };
}

interface FoundPair {
  readonly key: unknown;
  readonly value: unknown;
}

function findPair(doc: Document.Parsed, map: unknown, key: string, level: number): FoundPair | undefined {
  if (!isMap(map) || level > 10) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && !isMergeKey(pair.key) && String(pair.key.value) === key) return pair;
  }
  // Keys brought in by a merge key (`<<: *base`): point at the merged-in definition.
  for (const pair of map.items) {
    if (!isScalar(pair.key) || !isMergeKey(pair.key)) continue;
    const targets: unknown[] = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const target of targets) {
      const found = findPair(doc, deref(doc, target), key, level + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isMergeKey(key: { value: unknown; source?: unknown }): boolean {
  return typeof key.value === 'symbol' || (key.source === '<<' && key.value === '<<');
}

function deref(doc: Document.Parsed, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A scalar value is pointed at directly; a collection (or an empty value) at its key. */
function positionOf(key: unknown, value: unknown): number | undefined {
  if (isScalar(value) && value.value !== null) return rangeStart(value);
  return rangeStart(key) ?? rangeStart(value);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range?.[0];
}

/** The map entry whose key starts at or contains `offset` (used for duplicate-key errors). */
export function findPairAtOffset(
  doc: Document.Parsed,
  offset: number,
): { parentPath: ConfigPath; key: string } | undefined {
  return search(doc.contents, []);

  function search(node: unknown, path: ConfigPath): { parentPath: ConfigPath; key: string } | undefined {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyRange = (pair.key as Node | null)?.range;
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (keyRange !== undefined && keyRange !== null && offset >= keyRange[0] && offset < keyRange[1]) {
          return { parentPath: path, key };
        }
        const valueRange = (pair.value as Node | null)?.range;
        if (valueRange && offset >= valueRange[0] && offset < valueRange[2]) {
          return search(pair.value, [...path, key]);
        }
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const range = (item as Node | null)?.range;
        if (range && offset >= range[0] && offset < range[2]) return search(item, [...path, index]);
      }
    }
    return undefined;
  }
}
