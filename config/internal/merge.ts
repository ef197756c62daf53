/**
 * The two merges of the configuration layer.
 *
 * `mergeSources` combines several `--config` sources the way the Collector's
 * confmap does (koanf `maps.Merge`): maps are merged key by key, recursively;
 * for anything else the later source wins outright, so a list is replaced, not
 * appended, and an explicit empty value (`processors:` with nothing after it)
 * replaces what earlier sources had.
 *
 * `mergeWithDefaults` lays a component's written configuration over its
 * `createDefaultConfig()`, the way the Collector decodes YAML into a struct that
 * already holds the defaults: maps merge recursively, lists and scalars are
 * replaced, and an empty value (`null`) keeps the default (`otlp:` with nothing
 * after it means "all defaults"). A `null` under a key the defaults do not have
 * is kept, so a schema can tell "present but empty" from "absent".
 */
import { cloneDeep, isPlainMap, setKey } from './plain.ts';
import type { PlainMap } from './plain.ts';

export function mergeSources(base: unknown, next: unknown): unknown {
  if (!isPlainMap(base) || !isPlainMap(next)) return next;
  const out: PlainMap = {};
  for (const [key, value] of Object.entries(base)) setKey(out, key, value);
  for (const [key, value] of Object.entries(next)) {
    const previous = out[key];
    setKey(out, key, isPlainMap(previous) && isPlainMap(value) ? mergeSources(previous, value) : value);
  }
  return out;
}

export function mergeWithDefaults(defaults: unknown, written: unknown): unknown {
  if (written === null || written === undefined) return cloneDeep(defaults);
  if (!isPlainMap(defaults) || !isPlainMap(written)) return written;
  const out = cloneDeep(defaults);
  for (const [key, value] of Object.entries(written)) {
    setKey(out, key, Object.hasOwn(defaults, key) ? mergeWithDefaults(defaults[key], value) : value);
  }
  return out;
}
