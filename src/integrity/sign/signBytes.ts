/**
 * Sign and verify raw bytes with node:crypto, exactly as the Collector
 * contrib `signing` processor does over its JCS payload (see algorithms.ts):
 * Ed25519 over the message itself, ECDSA / RSA PKCS#1 v1.5 over its SHA-256
 * (SHA-512 for RS512), ECDSA signatures in ASN.1 DER, HMAC-SHA256 over the
 * message. Signatures and MACs are plain Uint8Arrays; base64 them with
 * `encodeIntegrityValue` for `audit.integrity.value`.
 *
 * A key of the wrong kind for the algorithm is a `KeyInvalidError` (a
 * configuration problem), never a `false`. A signature that does not verify —
 * wrong key, tampered data, malformed bytes — is `false`. HMAC comparison is
 * constant-time (`timingSafeEqual`; only the length is compared first).
 */
import {
  constants,
  createHmac,
  createSecretKey,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { checkKeyForAlgorithm, type SignatureAlgorithm } from './algorithms.ts';

/** A KeyObject; raw bytes are accepted as an HMAC secret only. */
export type SignatureKey = KeyObject | Uint8Array;

export function signBytes(algorithm: SignatureAlgorithm, key: SignatureKey, data: Uint8Array): Uint8Array {
  const keyObject = toKeyObject(key);
  checkKeyForAlgorithm(algorithm, keyObject, 'sign');
  switch (algorithm) {
    case 'EdDSA':
      return plain(sign(null, data, keyObject));
    case 'ES256':
      return plain(sign('sha256', data, { key: keyObject, dsaEncoding: 'der' }));
    case 'RS256':
      return plain(sign('sha256', data, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }));
    case 'RS512':
      return plain(sign('sha512', data, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }));
    case 'HMAC-SHA256':
      return plain(createHmac('sha256', keyObject).update(data).digest());
  }
}

/** `key`: the public key (a private key also works), or the HMAC secret. */
export function verifyBytes(
  algorithm: SignatureAlgorithm,
  key: SignatureKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const keyObject = toKeyObject(key);
  checkKeyForAlgorithm(algorithm, keyObject, 'verify');
  if (algorithm === 'HMAC-SHA256') {
    const expected = createHmac('sha256', keyObject).update(data).digest();
    return signature.length === expected.length && timingSafeEqual(expected, signature);
  }
  try {
    switch (algorithm) {
      case 'EdDSA':
        return verify(null, data, keyObject, signature);
      case 'ES256':
        return verify('sha256', data, { key: keyObject, dsaEncoding: 'der' }, signature);
      case 'RS256':
        return verify('sha256', data, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'RS512':
        return verify('sha512', data, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
  } catch {
    return false; // malformed signature bytes (e.g. not DER): it does not verify
  }
}

function toKeyObject(key: SignatureKey): KeyObject {
  return key instanceof Uint8Array ? createSecretKey(key) : key;
}

function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
