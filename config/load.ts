/** `resolveConfig` behind a promise (a ConfigError is a rejection): file sources are read bounded, synchronously. */
import type { ConfigSource } from './ConfigSource.ts';
import { resolveConfig } from './resolve.ts';
import type { ResolveConfigOptions } from './resolve.ts';
import type { ResolvedConfig } from './ResolvedConfig.ts';

export type LoadConfigOptions = ResolveConfigOptions;

/** Loads, merges (in order), expands and validates the sources. Rejects with `ConfigError`. */
export async function loadConfig(
  sources: readonly ConfigSource[],
  options: LoadConfigOptions,
): Promise<ResolvedConfig> {
  // File sources are read by resolveConfig, bounded (config/internal/readBounded.ts): an unbounded read
  // here took `--config /dev/zero` to 24 GB. (async: a ConfigError is a rejection, not a throw.)
  return resolveConfig(sources, options);
}

/** `loadConfig` for a list of YAML file paths, like `--config a.yaml --config b.yaml`. */
export function loadConfigFiles(
  paths: readonly string[],
  options: LoadConfigOptions,
): Promise<ResolvedConfig> {
  return loadConfig(
    paths.map((path) => ({ kind: 'file', path })),
    options,
  );
}
