/**
 * Signatures and keys: sign / verify bytes with EdDSA (default), ES256,
 * RS256, RS512 or HMAC-SHA256 via node:crypto, load and generate keys, key
 * ids and certificate references, and a key ring for verification across
 * key rotation. See docs/integrity.md, "Signatures and keys".
 */
export {
  DEFAULT_SIGNATURE_ALGORITHM,
  RSA_MODULUS_BITS_MIN,
  SIGNATURE_ALGORITHMS,
  algorithmsForKey,
  checkKeyForAlgorithm,
  isAsymmetricAlgorithm,
  isSignatureAlgorithm,
  parseSignatureAlgorithm,
} from './algorithms.ts';
export type { AsymmetricAlgorithm, SignatureAlgorithm } from './algorithms.ts';
export { signBytes, verifyBytes } from './signBytes.ts';
export type { SignatureKey } from './signBytes.ts';
export { INTEGRITY_VALUE_CHARS_MAX, decodeIntegrityValue, encodeIntegrityValue } from './integrityValue.ts';
export { KEY_MATERIAL_BYTES_MAX, describeSource, readKeyMaterial } from './keyMaterial.ts';
export type { KeyMaterialSource } from './keyMaterial.ts';
export { loadCertificate, loadHmacKey, loadPrivateKey, loadPublicKey } from './loadKeys.ts';
export type { LoadKeyOptions } from './loadKeys.ts';
export { loadSigningKey } from './signingKey.ts';
export type { SigningKey, SigningKeyOptions } from './signingKey.ts';
export { HMAC_KEY_ID_PREFIX, KEY_ID_PREFIX, certificateFingerprint, certificateRef, keyId } from './keyId.ts';
export type { CertificateRefMode } from './keyId.ts';
export {
  HMAC_KEY_BYTES_DEFAULT,
  RSA_MODULUS_BITS_DEFAULT,
  generateHmacKey,
  generateKeyPair,
} from './generateKeyPair.ts';
export type { GenerateKeyPairOptions, GeneratedHmacKey, GeneratedKeyPair } from './generateKeyPair.ts';
export { KEY_RING_KEYS_MAX_DEFAULT, KeyRing } from './KeyRing.ts';
export type {
  KeyRingAddOptions,
  KeyRingOptions,
  KeyRingVerification,
  KeyRingVerifyInput,
} from './KeyRing.ts';
export { KeyInvalidError, SignatureInvalidError } from './errors.ts';
