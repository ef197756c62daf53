/**
 * The key of the `hash` action (HMAC-SHA256), read once when the processor is
 * created — from an environment variable (its UTF-8 bytes) or a file (its
 * bytes, one trailing newline removed; relative paths resolve against the
 * configuration's directory). At least `HASH_KEY_BYTES_MIN` bytes. A missing
 * or short key fails start-up with `MaskKeyError` (code `KEY_INVALID`);
 * messages never contain key material.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OtelAuditError } from '../../src/errors.ts';

export const HASH_KEY_BYTES_MIN = 32;

export class MaskKeyError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('KEY_INVALID', message, { cause });
  }
}

export type HashKeySource = { readonly env: string } | { readonly file: string };

export function loadHashKey(
  source: HashKeySource,
  o: { component: string; baseDir: string; env?: NodeJS.ProcessEnv },
): Uint8Array {
  let key: Uint8Array;
  if ('env' in source) {
    const value = (o.env ?? process.env)[source.env];
    if (value === undefined || value === '') {
      throw new MaskKeyError(`${o.component}: hash_key::env: environment variable ${source.env} is not set`);
    }
    key = Buffer.from(value, 'utf8');
  } else {
    const file = path.resolve(o.baseDir, source.file);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new MaskKeyError(`${o.component}: hash_key::file: cannot read ${file} (${code})`, err);
    }
    let end = bytes.length;
    if (bytes[end - 1] === 0x0a) end--;
    if (bytes[end - 1] === 0x0d) end--;
    key = bytes.subarray(0, end);
  }
  if (key.length < HASH_KEY_BYTES_MIN) {
    throw new MaskKeyError(
      `${o.component}: the hash key has ${key.length} bytes; at least ${HASH_KEY_BYTES_MIN} are required`,
    );
  }
  return key;
}
