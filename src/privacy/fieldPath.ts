/**
 * Dotted paths into attribute lists and kvlist values (`user.email`), as the
 * privacy processors' `attributes` and `body_paths` name them. Keys may
 * themselves contain dots (`user.email` is usually ONE OTel attribute), so a
 * path resolves in a list like this:
 *
 * 1. an entry whose key is the whole path;
 * 2. otherwise, trying the longest prefix first: an entry whose key is the
 *    prefix and whose value is a kvlist, and the rest of the path inside it,
 *    by the same rule.
 *
 * The first rule that finds something wins. Every entry with the matching
 * key is taken (duplicate keys, invalid in OTLP but possible, must not keep
 * a clear-text copy). Arrays are not entered: a path ends at an array, which
 * is then taken as a whole.
 */
import { isKeyValueList, type AnyValue, type KeyValue } from '../record/AnyValue.ts';

/** Replaces one value; returns undefined to leave it unchanged. `keys`: the entry keys from the list down to it. */
export type ValueRewrite = (value: AnyValue, keys: readonly string[]) => AnyValue | undefined;

/**
 * A copy of `list` with the value(s) at `path` rewritten (containers on the
 * way are copied, never changed in place), or undefined when nothing changed.
 */
export function rewritePath(
  list: readonly KeyValue[],
  path: string,
  rewrite: ValueRewrite,
): KeyValue[] | undefined {
  return resolve(list, path, rewrite, []).list;
}

/** The first value at `path` (same resolution), or undefined. */
export function valueAtPath(list: readonly KeyValue[], path: string): AnyValue | undefined {
  let found: AnyValue | undefined;
  resolve(
    list,
    path,
    (value) => {
      found ??= value;
      return undefined;
    },
    [],
  );
  return found;
}

interface Resolved {
  /** True when the path named something (whether or not it changed). */
  readonly found: boolean;
  /** The changed copy, when something changed. */
  readonly list?: KeyValue[];
}

function resolve(
  list: readonly KeyValue[],
  path: string,
  rewrite: ValueRewrite,
  keys: readonly string[],
): Resolved {
  if (list.some((kv) => kv.key === path)) {
    return { found: true, list: rewriteEntries(list, path, (value) => rewrite(value, [...keys, path])) };
  }
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const prefix = path.slice(0, dot);
    const rest = path.slice(dot + 1);
    if (rest === '' || !list.some((kv) => kv.key === prefix && isKeyValueList(kv.value))) continue;
    let found = false;
    const changed = rewriteEntries(list, prefix, (value) => {
      if (!isKeyValueList(value)) return undefined;
      const inner = resolve(value.values, rest, rewrite, [...keys, prefix]);
      found ||= inner.found;
      return inner.list === undefined ? undefined : { values: inner.list };
    });
    if (found) return { found, list: changed };
  }
  return { found: false };
}

function rewriteEntries(
  list: readonly KeyValue[],
  key: string,
  rewrite: (value: AnyValue) => AnyValue | undefined,
): KeyValue[] | undefined {
  let out: KeyValue[] | undefined;
  list.forEach((kv, index) => {
    if (kv.key !== key) return;
    const value = rewrite(kv.value);
    if (value === undefined) return;
    out ??= list.slice();
    out[index] = { key, value };
  });
  return out;
}
