/** Wrapping 32-byte keys under a master key (AES-256-GCM, associated data per keyStoreFormat.ts). */
import { associatedData, openGcm, sealGcm } from '../aead.ts';
import { KeyNotFoundError, KeyStoreCorruptError } from '../errors.ts';
import { SECRET_KEY_BYTES, type SecretKey, type SecretKeyRing } from '../SecretKey.ts';
import { WRAP_AAD_LABEL } from './keyStoreFormat.ts';

/** `['index key']` or `['data key', <key id>]`: what a wrapped key is bound to. */
export type WrapContext = readonly string[];

export function wrapKey(master: SecretKey, raw: Uint8Array, context: WrapContext): Buffer {
  return sealGcm(master.key, raw, associatedData(WRAP_AAD_LABEL, context));
}

/** The raw key; `KeyNotFoundError` when `masterKeyId` is not in the ring, `KeyStoreCorruptError` when it does not unwrap. */
export function unwrapKey(
  masterKeys: SecretKeyRing,
  masterKeyId: string,
  sealed: Buffer,
  context: WrapContext,
  file: string,
): Buffer {
  const master = masterKeys.find(masterKeyId);
  if (master === undefined) {
    const have = masterKeys.keys.map((k) => k.id).join(', ');
    throw new KeyNotFoundError(
      `key store file ${file} needs master key ${masterKeyId}; the configured master keys are ${have}`,
    );
  }
  let raw: Buffer;
  try {
    raw = openGcm(master.key, sealed, associatedData(WRAP_AAD_LABEL, context), file);
  } catch (error) {
    throw new KeyStoreCorruptError(
      `key store file ${file}: cannot unwrap: ${(error as Error).message}`,
      error,
    );
  }
  if (raw.length !== SECRET_KEY_BYTES)
    throw new KeyStoreCorruptError(`key store file ${file}: bad key length`);
  return raw;
}
