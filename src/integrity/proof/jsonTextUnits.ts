/**
 * A lower bound on the size of a value's JSON text, computed without
 * building it: the UTF-16 code units of its strings and object keys. Every
 * code unit becomes at least one byte of the UTF-8 JSON text (an escaped one
 * several), so a value whose count exceeds a byte limit has JSON text over it.
 */

/** The code units of the strings and keys in `value`, counted until they exceed `limit` (then returned). */
export function jsonStringUnits(value: unknown, limit: number): number {
  let units = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && units <= limit) {
    const v = pending.pop();
    if (typeof v === 'string') units += v.length;
    else if (Array.isArray(v)) for (const item of v) pending.push(item);
    else if (typeof v === 'object' && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        units += key.length;
        pending.push(item);
      }
    }
  }
  return units;
}
