/** Asynchronous loading: file sources are read with `fs/promises`, then resolved like `resolveConfig`. */
import { readFile } from 'node:fs/promises';
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
  const read = await Promise.all(
    sources.map(async (source): Promise<ConfigSource> => {
      if (source.kind !== 'file') return source;
      try {
        return { kind: 'yaml', name: source.path, text: await readFile(source.path, 'utf8') };
      } catch {
        return source; // resolveConfig reports the read error with the others
      }
    }),
  );
  return resolveConfig(read, options);
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
