/** Operations on ordered key-value lists with the view's duplicate-key rules (first wins). */
import type { AnyValue, KeyValue } from '../AnyValue.ts';

export function getFirst(list: readonly KeyValue[], key: string): AnyValue | undefined {
  for (const kv of list) if (kv.key === key) return kv.value;
  return undefined;
}

/** Replaces the first entry with `key` (keeping its position), or appends one. */
export function setFirst(list: KeyValue[], key: string, value: AnyValue): void {
  // A loop, not findIndex with a closure: audit_mask sets 2-3 summary attributes on every masked record.
  for (let i = 0; i < list.length; i++) {
    if ((list[i] as KeyValue).key === key) {
      list[i] = { key, value };
      return;
    }
  }
  list.push({ key, value });
}

/** Removes every entry with `key` in place; true when one was present. */
export function deleteAll(list: KeyValue[], key: string): boolean {
  let kept = 0;
  for (const kv of list) if (kv.key !== key) list[kept++] = kv;
  const removed = kept !== list.length;
  list.length = kept;
  return removed;
}
