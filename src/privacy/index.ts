/**
 * Privacy building blocks shared by `audit_pseudonymize`, `audit_encrypt` and
 * the CLI (docs/privacy.md): secret keys and where they come from, pseudonym
 * tokens, encrypted values, the key store of crypto-shredding, and showing
 * encrypted records to key holders.
 */
export { SECRET_KEY_BYTES, SecretKeyRing, secretKeyFromBytes, secretKeyId } from './SecretKey.ts';
export type { SecretKey } from './SecretKey.ts';
export { keyMaterialProvider, loadKeyRing, loadSecretKey } from './KeyProvider.ts';
export type { KeyProvider } from './KeyProvider.ts';
export {
  TOKEN_PREFIX,
  deriveReversalKey,
  parsePseudonymToken,
  plainToken,
  pseudonymToken,
  reidentifyToken,
} from './pseudonym.ts';
export type { ParsedToken, ReversalKey } from './pseudonym.ts';
export { ENCRYPTED_PREFIX, decryptValue, encryptValue, parseEncryptedValue } from './encryptedValue.ts';
export type { FieldBinding, ParsedEncryptedValue } from './encryptedValue.ts';
export { decodeValueBytes, encodeValueBytes } from './valueBytes.ts';
export { DEFAULT_SUBJECT, KeyStore } from './KeyStore.ts';
export type { DataKey, KeyStoreOptions, Subject } from './KeyStore.ts';
export { RecordDecryptor, SHREDDED_MARKER, UNDECRYPTABLE_MARKER } from './RecordDecryptor.ts';
export type { DecryptionProblemHandler } from './RecordDecryptor.ts';
export { openKeyStore, openRecordDecryptor } from './openKeyStore.ts';
export {
  CiphertextMalformedError,
  DecryptFailedError,
  KeyNotFoundError,
  KeyStoreBacklogError,
  KeyStoreClosedError,
  KeyStoreCorruptError,
  KeyStoreIoError,
  KeyStoreWriteFailedError,
} from './errors.ts';
