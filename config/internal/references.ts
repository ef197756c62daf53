/**
 * Resolution of one `${...}` reference body to raw text, as the Collector's
 * confmap providers do it:
 *
 * - `NAME` (no `:`) is shorthand for `env:NAME`;
 * - `env:NAME` and `env:NAME:-default`: the default applies only when the
 *   variable is unset; a set-but-empty variable stays empty; an unset variable
 *   without a default is empty (and reported as a warning). Names must match
 *   `^[a-zA-Z_][a-zA-Z0-9_]*$`;
 * - `file:PATH`: the file's whole content, as is (a trailing newline is kept,
 *   as in the Collector); relative paths are relative to `baseDir`;
 * - any other scheme (`http`, `https`, `yaml`, ...) is an error naming it.
 *
 * The scheme syntax is the Collector's: a letter followed by at least one
 * letter, digit, `+`, `.` or `-`, then `:`. A `$` in the rest is an error.
 */
import { isAbsolute, resolve } from 'node:path';

export const REFERENCED_FILE_LENGTH_MAX = 1024 * 1024;
export const SUPPORTED_SCHEMES = ['env', 'file'] as const;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):(.*)$/s;
const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface ReferenceContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly baseDir: string;
  readonly readFile: (path: string) => string;
  readonly warn: (message: string) => void;
}

export interface Retrieved {
  readonly raw: string;
  /**
   * True for the explicit empty default `${env:X:-}`, which the Collector
   * returns as the empty string without re-parsing it as YAML.
   */
  readonly literal: boolean;
}

/** A reference that cannot be resolved; the message is meant for the user as is. */
export class ReferenceFailure extends Error {}

export function retrieveReference(body: string, context: ReferenceContext): Retrieved {
  let scheme = 'env';
  let opaque = body;
  if (body.includes(':')) {
    const match = SCHEME.exec(body);
    if (match === null) {
      throw new ReferenceFailure(
        `invalid reference "\${${body}}": expected \${env:NAME}, \${env:NAME:-default}, \${NAME} or \${file:PATH}`,
      );
    }
    scheme = match[1] ?? '';
    opaque = match[2] ?? '';
  }
  if (opaque.includes('$')) {
    throw new ReferenceFailure(
      `the reference "\${${scheme}:${opaque}}" contains unsupported characters ('$')`,
    );
  }
  if (scheme === 'env') return retrieveEnv(opaque, context);
  if (scheme === 'file') return retrieveFile(opaque, context);
  const hint =
    ENV_NAME.test(scheme) && opaque.startsWith('-')
      ? `; to give an environment variable a default, write \${env:${scheme}:${opaque}}`
      : '';
  throw new ReferenceFailure(
    `unsupported scheme "${scheme}" in "\${${body}}": supported schemes are ${SUPPORTED_SCHEMES.join(' and ')}${hint}`,
  );
}

function retrieveEnv(opaque: string, context: ReferenceContext): Retrieved {
  const cut = opaque.indexOf(':-');
  const name = cut < 0 ? opaque : opaque.slice(0, cut);
  const fallback = cut < 0 ? undefined : opaque.slice(cut + 2);
  if (!ENV_NAME.test(name)) {
    throw new ReferenceFailure(
      `environment variable "${name}" has invalid name: must match regex ${ENV_NAME.source}`,
    );
  }
  const value = Object.hasOwn(context.env, name) ? context.env[name] : undefined;
  if (value !== undefined) return { raw: value, literal: false };
  if (fallback === undefined) {
    context.warn(`environment variable "${name}" is not set; it expands to an empty value`);
    return { raw: '', literal: false };
  }
  return { raw: fallback, literal: fallback === '' };
}

function retrieveFile(opaque: string, context: ReferenceContext): Retrieved {
  const path = isAbsolute(opaque) ? opaque : resolve(context.baseDir, opaque);
  let text: string;
  try {
    text = context.readFile(path);
  } catch (error) {
    throw new ReferenceFailure(
      `cannot read file "${opaque}" referenced as \${file:${opaque}}: ${readFailure(error)}`,
    );
  }
  if (text.length > REFERENCED_FILE_LENGTH_MAX) {
    throw new ReferenceFailure(
      `file "${opaque}" referenced as \${file:${opaque}} is larger than ${REFERENCED_FILE_LENGTH_MAX} characters`,
    );
  }
  return { raw: text, literal: false };
}

/** Why a file could not be read, for a message: the errno code, or what the bounded reader said. */
export function readFailure(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOTREG') return 'not a regular file';
  if (e.code === 'EFBIG') return e.message;
  return e.code ?? e.message;
}
