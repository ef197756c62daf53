/**
 * Maps configuration paths to YAML source positions. With several sources the
 * value at a path comes from the last source that defines it (`locatePath`).
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
  // Level by level, the value at a path prefix comes from the LAST source that defines it; deeper keys
  // of a map may come from earlier sources too (maps merge), but not from sources before the last one
  // that set the prefix to something else (it replaced them), and a list or scalar has one source. Before,
  // the deepest match in any source won, even when a later source had replaced that value: an error in
  // the later file was reported at a line of the earlier one.
  const nodes: unknown[] = sources.map((s) =>
    s.doc !== undefined && s.lineCounter !== undefined ? s.doc.contents : undefined,
  );
  let from = 0;
  let at: { source: LocatableSource; offset: number } | undefined;
  for (const segment of path) {
    const steps = nodes.map((node, i) => {
      const doc = sources[i]?.doc;
      return i < from || node === undefined || doc === undefined ? undefined : step(doc, node, segment);
    });
    let owner = -1;
    for (let i = steps.length - 1; i >= from; i--) {
      if (steps[i] !== undefined) {
        owner = i;
        break;
      }
    }
    if (owner < 0) break;
    const ownerStep = steps[owner] as { node: unknown; offset: number };
    at = { source: sources[owner] as LocatableSource, offset: ownerStep.offset };
    const ownerDoc = (sources[owner] as LocatableSource).doc as Document.Parsed;
    const child = deref(ownerDoc, ownerStep.node);
    if (isMap(child)) {
      // Merged with the maps of earlier sources, back to the last one that set something else here.
      for (let i = owner - 1; i >= from; i--) {
        const st = steps[i];
        const doc = sources[i]?.doc;
        if (st !== undefined && doc !== undefined && !isMap(deref(doc, st.node))) {
          from = i + 1;
          break;
        }
      }
      for (let i = 0; i < nodes.length; i++) {
        const st = steps[i];
        const doc = sources[i]?.doc;
        nodes[i] = i >= from && st !== undefined && doc !== undefined ? deref(doc, st.node) : undefined;
      }
    } else if (isSeq(child)) {
      from = owner;
      for (let i = 0; i < nodes.length; i++) nodes[i] = i === owner ? child : undefined;
    } else {
      break;
    }
  }
  if (at === undefined || at.source.lineCounter === undefined) return undefined;
  const { line, col } = at.source.lineCounter.linePos(at.offset);
  return { file: at.source.name, line, column: col };
}

/** One step down from `node` (a map key or a list index): the child and where to point for it. */
function step(
  doc: Document.Parsed,
  node: unknown,
  segment: string | number,
): { node: unknown; offset: number } | undefined {
  const n = deref(doc, node);
  if (isMap(n) && typeof segment === 'string') {
    const pair = findPair(doc, n, segment, 0);
    if (pair === undefined) return undefined;
    const offset = positionOf(pair.key, pair.value);
    return offset === undefined ? undefined : { node: pair.value, offset };
  }
  if (isSeq(n) && typeof segment === 'number') {
    const item: unknown = n.items[segment];
    const offset = rangeStart(item);
    return offset === undefined ? undefined : { node: item, offset };
  }
  return undefined;
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
