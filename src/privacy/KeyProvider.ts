/**
 * Where secret keys come from. A `KeyProvider` yields one 256-bit key; the
 * built-in provider reads standard base64 from a file, an environment variable
 * or an inline value (`keyMaterialProvider`). A KMS integration implements the
 * same interface — e.g. decrypting a wrapped key with the KMS at start-up — and
 * nothing else changes: keys are loaded once, when a component starts (the
 * processors work synchronously afterwards, so a provider is never called on
 * the record path).
 *
 * `otel-audit keys generate --algorithm HMAC-SHA256 --out DIR` writes a file
 * in the expected form (32 random bytes, standard base64).
 */
import { loadHmacKey } from '../integrity/sign/loadKeys.ts';
import { describeSource, type KeyMaterialSource } from '../integrity/sign/keyMaterial.ts';
import { secretKeyFromBytes, SecretKeyRing, type SecretKey } from './SecretKey.ts';

export interface KeyProvider {
  /** Where the key comes from, for messages (`file /etc/otel-audit/master.key`); never key material. */
  readonly description: string;
  loadKey(): Promise<SecretKey>;
}

/** A provider over a file, an environment variable or an inline value holding standard base64 of 32 bytes. */
export function keyMaterialProvider(source: KeyMaterialSource): KeyProvider {
  const description = describeSource(source);
  return {
    description,
    loadKey: async () => loadSecretKey(source),
  };
}

/** Synchronous form of `keyMaterialProvider(source).loadKey()`, for the command line. */
export function loadSecretKey(source: KeyMaterialSource): SecretKey {
  const secret = loadHmacKey(source).export();
  return secretKeyFromBytes(secret, describeSource(source));
}

/** Loads every provider, in order (the first key is the active one). */
export async function loadKeyRing(
  providers: readonly KeyProvider[],
  purpose: string,
): Promise<SecretKeyRing> {
  const keys: SecretKey[] = [];
  for (const provider of providers) keys.push(await provider.loadKey());
  return new SecretKeyRing(keys, purpose);
}
