/**
 * Applying a path rewrite (fieldPath.ts) to a record through its
 * `MutableLogRecordView`. The rewrite gets the field's full path from the
 * record root: `['attributes', key, ...]` or `['body', key, ...]`.
 *
 * Top-level attributes are written with the view's setters: a changed key
 * keeps its position, except that duplicate top-level keys (invalid OTLP) are
 * replaced by ONE entry, at the end, holding the rewrite of the first — the
 * view cannot write duplicates, and no clear-text copy may stay (the
 * `attributes` processor's `hash` does the same). Inside kvlist values every
 * duplicate is rewritten in place.
 */
import { isKeyValueList } from '../record/AnyValue.ts';
import type { MutableLogRecordView } from '../record/MutableLogRecordView.ts';
import { rewritePath, type ValueRewrite } from './fieldPath.ts';

/** Rewrites the attribute(s) at `path`; true when the record changed. */
export function rewriteAttributePath(
  view: MutableLogRecordView,
  path: string,
  rewrite: ValueRewrite,
): boolean {
  const before = view.attributes();
  const after = rewritePath(before, path, (value, keys) => rewrite(value, ['attributes', ...keys]));
  if (after === undefined) return false;
  const changed = new Set<string>();
  after.forEach((kv, index) => {
    if (kv !== before[index]) changed.add(kv.key);
  });
  for (const key of changed) {
    const first = after.find((kv) => kv.key === key);
    if (first === undefined) continue;
    if (before.filter((kv) => kv.key === key).length > 1) view.deleteAttribute(key);
    view.setAttribute(key, first.value);
  }
  return true;
}

/** Rewrites the value(s) at `path` inside a kvlist body; true when the record changed. */
export function rewriteBodyPath(view: MutableLogRecordView, path: string, rewrite: ValueRewrite): boolean {
  const body = view.getBody();
  if (!isKeyValueList(body)) return false;
  const after = rewritePath(body.values, path, (value, keys) => rewrite(value, ['body', ...keys]));
  if (after === undefined) return false;
  view.setBody({ values: after });
  return true;
}
