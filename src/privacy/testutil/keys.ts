/** Test helpers: random secret keys, as `SecretKey`s and as key files. */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { secretKeyFromBytes, type SecretKey } from '../SecretKey.ts';

export function randomSecretKey(): SecretKey {
  return secretKeyFromBytes(randomBytes(32), 'test key');
}

/** Writes a random key (standard base64 and a newline, as `keys generate` does) and returns its path. */
export function writeKeyFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return file;
}
