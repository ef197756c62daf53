/**
 * `--config` values, in the Collector's URI forms:
 *
 * - `PATH` or `file:PATH` — a YAML file (relative to the working directory);
 * - `yaml:SNIPPET` — inline YAML. As in the Collector's `yaml` provider, a
 *   snippet of the single form `key::key::key: value` sets one nested key:
 *   `yaml:exporters::audit_wal::directory: /tmp/x` is
 *   `{exporters: {audit_wal: {directory: /tmp/x}}}`, the value parsed as
 *   YAML. Any other snippet is read as YAML as it is (its keys literally).
 *
 * Any other `scheme:` (two or more letters, like the Collector's URI pattern,
 * so `C:\x.yaml` stays a path) is refused.
 */
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { ConfigSource } from '../../../config/ConfigSource.ts';

const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):(.*)$/s;
const SUPPORTED = 'file:PATH, yaml:SNIPPET, or a plain path';
/** `key::key: value` on one line; a key segment holds no spaces or colons and starts with no YAML indicator. */
const NESTED_KEY_FORM = /^([^\s:#{}[\],&*!|>'"%@`][^\s:]*(?:::[^\s:]+)+):(?:[ \t]+([^\n]*))?$/;

/** What one `--config` value means; `index` (0-based) names inline snippets in messages. */
export type ConfigUri =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'yaml'; readonly text: string; readonly index: number };

/** Parses a `--config` value; an unsupported scheme is a usage error (commander's `InvalidArgumentError`). */
export function parseConfigUri(value: string, index: number): ConfigUri {
  if (value === '') throw new InvalidArgumentError(`an empty value; expected ${SUPPORTED}`);
  const m = URI_SCHEME.exec(value);
  if (m === null) return { kind: 'file', path: value };
  const scheme = (m[1] as string).toLowerCase();
  const rest = m[2] as string;
  if (scheme === 'file') {
    if (rest === '') throw new InvalidArgumentError('file: needs a path');
    return { kind: 'file', path: rest };
  }
  if (scheme === 'yaml') return { kind: 'yaml', text: rest, index };
  throw new InvalidArgumentError(`unsupported scheme "${scheme}:"; expected ${SUPPORTED}`);
}

/**
 * The configuration source for `uri`. A file keeps the path as given for
 * messages; one that cannot be read is left to `resolveConfig`, which
 * reports it together with every other problem. A `key::key: value` snippet
 * becomes the equivalent nested YAML document (keys quoted, the value text
 * unchanged), so its value is parsed exactly as the Collector would and
 * problems are located in it; line and column refer to that nested form.
 */
export function configSourceOf(uri: ConfigUri, cwd: string): ConfigSource {
  if (uri.kind === 'file') {
    // Read once, bounded, by resolveConfig: a first read here that failed (too large) and a second there
    // validated a pipe (/dev/stdin) from the bytes the first had left.
    return { kind: 'file', path: path.resolve(cwd, uri.path), name: uri.path };
  }
  const name = `<--config #${uri.index + 1} yaml:>`;
  const m = NESTED_KEY_FORM.exec(uri.text.trim());
  if (m === null) return { kind: 'yaml', name, text: uri.text };
  const keys = (m[1] as string).split('::');
  const lines = keys.map((key, depth) => `${'  '.repeat(depth)}${JSON.stringify(key)}:`);
  const value = m[2] ?? '';
  if (value !== '') lines[lines.length - 1] += ` ${value}`;
  return { kind: 'yaml', name, text: `${lines.join('\n')}\n` };
}
