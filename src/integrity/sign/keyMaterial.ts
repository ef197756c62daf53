/**
 * Where key material comes from: a file, an environment variable, or an
 * inline value — the `file` and `env` providers of the Collector contrib
 * `signing` processor. The text is PEM or base64 of PEM for keys and
 * certificates, standard base64 for HMAC secrets (loadKeys.ts). Reads are
 * bounded (`KEY_MATERIAL_BYTES_MAX`); a missing file or an unset or empty
 * variable is a `KeyInvalidError` that names it (never the value).
 */
import { readFileSync, statSync } from 'node:fs';
import { KeyInvalidError } from './errors.ts';

export type KeyMaterialSource =
  | { readonly file: string }
  | {
      readonly env: string;
      /** Where to look the variable up; default `process.env`. */
      readonly environment?: Readonly<Record<string, string | undefined>>;
    }
  | { readonly value: string | Uint8Array };

/** Key files and variables are small; anything larger is refused unread. */
export const KEY_MATERIAL_BYTES_MAX = 1024 * 1024;

/** `file /etc/otel-audit/key.pem`, `environment variable SIGNING_KEY`, `inline value`. */
export function describeSource(source: KeyMaterialSource): string {
  if ('file' in source) return `file ${source.file}`;
  if ('env' in source) return `environment variable ${source.env}`;
  return 'inline value';
}

/** The raw text of the source (not yet decoded). */
export function readKeyMaterial(source: KeyMaterialSource): string {
  let text: string;
  if ('file' in source) {
    text = readBoundedFile(source.file);
  } else if ('env' in source) {
    const value = (source.environment ?? process.env)[source.env];
    if (value === undefined || value === '')
      throw new KeyInvalidError(`${describeSource(source)} is not set or empty`);
    text = value;
  } else {
    text = typeof source.value === 'string' ? source.value : Buffer.from(source.value).toString('utf8');
  }
  if (Buffer.byteLength(text, 'utf8') > KEY_MATERIAL_BYTES_MAX) {
    throw new KeyInvalidError(`${describeSource(source)} is larger than ${KEY_MATERIAL_BYTES_MAX} bytes`);
  }
  if (text.trim() === '') throw new KeyInvalidError(`${describeSource(source)} is empty`);
  return text;
}

function readBoundedFile(path: string): string {
  try {
    const size = statSync(path).size;
    if (size > KEY_MATERIAL_BYTES_MAX) {
      throw new KeyInvalidError(`file ${path} is larger than ${KEY_MATERIAL_BYTES_MAX} bytes`);
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof KeyInvalidError) throw error;
    throw new KeyInvalidError(`cannot read file ${path}: ${(error as Error).message}`, error);
  }
}
