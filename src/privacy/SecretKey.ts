/**
 * 256-bit secret keys of the privacy processors (pseudonym HMAC keys,
 * reversal keys, key store master keys) and their ids.
 *
 * A key id is derived from the key: the first 8 bytes of
 * HMAC-SHA256(key, "otel-audit privacy key id") as 16 lowercase hex digits.
 * Holders of the key compute it; it reveals nothing about the key. So a token
 * or a key store entry names the key it needs without anyone configuring ids,
 * and a tool given the wrong key says so before trying it.
 *
 * A `SecretKeyRing` is an ordered list of keys: the FIRST is active (used for
 * new tokens, ciphertexts and wrapped keys), the others are still accepted
 * for reading — that is key rotation.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { KeyInvalidError } from '../integrity/sign/errors.ts';

export const SECRET_KEY_BYTES = 32;
/** At most this many keys in one ring (rotation keeps a few old ones, not hundreds). */
export const KEY_RING_KEYS_MAX = 16;
const KEY_ID_MESSAGE = 'otel-audit privacy key id';
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface SecretKey {
  /** 16 lowercase hex digits, derived from the key (see the module comment). */
  readonly id: string;
  readonly key: KeyObject;
}

/** The id of a 32-byte secret key. */
export function secretKeyId(key: KeyObject | Uint8Array): string {
  return createHmac('sha256', key).update(KEY_ID_MESSAGE).digest('hex').slice(0, 16);
}

/** A `SecretKey` from raw bytes; `what` names the source in the error (never the bytes). */
export function secretKeyFromBytes(bytes: Uint8Array, what: string): SecretKey {
  if (bytes.length !== SECRET_KEY_BYTES) {
    throw new KeyInvalidError(`${what}: a key must be ${SECRET_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  const key = createSecretKey(bytes);
  return { id: secretKeyId(key), key };
}

export class SecretKeyRing {
  readonly keys: readonly SecretKey[];
  /** What the ring is for, in messages (`pseudonym keys`). */
  readonly purpose: string;

  constructor(keys: readonly SecretKey[], purpose: string) {
    if (keys.length === 0) throw new KeyInvalidError(`${purpose}: no key configured`);
    if (keys.length > KEY_RING_KEYS_MAX) {
      throw new KeyInvalidError(`${purpose}: at most ${KEY_RING_KEYS_MAX} keys, got ${keys.length}`);
    }
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k.id)) throw new KeyInvalidError(`${purpose}: key ${k.id} is configured twice`);
      seen.add(k.id);
    }
    this.keys = keys;
    this.purpose = purpose;
  }

  /** The key new data is made with: the first. */
  get active(): SecretKey {
    return this.keys[0] as SecretKey;
  }

  find(id: string): SecretKey | undefined {
    return this.keys.find((k) => k.id === id);
  }

  has(id: string): boolean {
    return this.find(id) !== undefined;
  }
}
