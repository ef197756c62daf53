/**
 * Where a configuration comes from. Several sources are merged in order, like
 * several `--config` flags of the Collector (see `docs/configuration.md`).
 */
export type ConfigSource =
  /** A YAML file; its path (as given) names it in error messages. */
  | { readonly kind: 'file'; readonly path: string; readonly name?: string }
  /** YAML text; `name` (default `<yaml #n>`) names it in error messages. */
  | { readonly kind: 'yaml'; readonly text: string; readonly name?: string }
  /** An already-parsed value with the same shape as the YAML; no line numbers. */
  | { readonly kind: 'object'; readonly value: unknown; readonly name?: string };
