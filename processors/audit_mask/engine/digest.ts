/**
 * Digests used to replace values: the keyed `hmac:<hex16>` token of
 * `audit_mask`'s `hash` action, and the hex digests of the Collector
 * `redaction` processor's `hash_function`s (all from `node:crypto`).
 */
import { createHash, createHmac } from 'node:crypto';

export function hmacToken(key: Uint8Array, value: string): string {
  return `hmac:${createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 16)}`;
}

/** Node's name for each `hash_function` of the Collector's `redaction` processor (`sha3` is SHA3-256). */
export const DIGESTS = {
  md5: { algorithm: 'md5', keyed: false },
  sha1: { algorithm: 'sha1', keyed: false },
  sha3: { algorithm: 'sha3-256', keyed: false },
  'hmac-sha256': { algorithm: 'sha256', keyed: true },
  'hmac-sha512': { algorithm: 'sha512', keyed: true },
} as const;

export type DigestName = keyof typeof DIGESTS;

/** Lower-case hex digest of the UTF-8 bytes of `value` (HMAC with `key` for the keyed ones). */
export function hexDigest(name: DigestName, value: string, key: Uint8Array): string {
  const { algorithm, keyed } = DIGESTS[name];
  const hash = keyed ? createHmac(algorithm, key) : createHash(algorithm);
  return hash.update(value, 'utf8').digest('hex');
}
