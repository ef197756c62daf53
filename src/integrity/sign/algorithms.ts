/**
 * The signature algorithms, named as JWA (RFC 7518) / IANA name them — the
 * values of the `audit.integrity.algorithm` resource attribute and of the
 * Collector contrib `signing` processor's `algorithm` setting:
 *
 * | name          | primitive                                  | signed input     | signature bytes        |
 * |---------------|--------------------------------------------|------------------|------------------------|
 * | `EdDSA`       | Ed25519 (RFC 8032), the default            | the message      | 64 bytes               |
 * | `ES256`       | ECDSA P-256 with SHA-256                   | SHA-256(message) | ASN.1 DER (see below)  |
 * | `RS256`       | RSASSA-PKCS1-v1_5 with SHA-256, ≥2048 bits | SHA-256(message) | modulus length         |
 * | `RS512`       | RSASSA-PKCS1-v1_5 with SHA-512, ≥2048 bits | SHA-512(message) | modulus length         |
 * | `HMAC-SHA256` | HMAC (RFC 2104) with SHA-256               | the message      | 32 bytes               |
 *
 * ES256 signatures are ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`, as Go's
 * `ecdsa.SignASN1` in the Collector processor writes them — NOT the 64-byte
 * `r || s` of JWS (RFC 7518 §3.4). Only DER verifies.
 */
import type { KeyObject } from 'node:crypto';
import { OtelAuditError } from '../../errors.ts';
import { KeyInvalidError } from './errors.ts';

export const SIGNATURE_ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'RS512', 'HMAC-SHA256'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<SignatureAlgorithm, 'HMAC-SHA256'>;

export const DEFAULT_SIGNATURE_ALGORITHM: SignatureAlgorithm = 'EdDSA';
/** RSA keys below this modulus are refused, for signing and verifying. */
export const RSA_MODULUS_BITS_MIN = 2048;

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === 'string' && (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

export function isAsymmetricAlgorithm(algorithm: SignatureAlgorithm): algorithm is AsymmetricAlgorithm {
  return algorithm !== 'HMAC-SHA256';
}

/** The algorithm named `name` (exact, case-sensitive, as JWA); `INVALID_ARGUMENT` otherwise. */
export function parseSignatureAlgorithm(name: string): SignatureAlgorithm {
  if (isSignatureAlgorithm(name)) return name;
  throw new OtelAuditError(
    'INVALID_ARGUMENT',
    `unknown signature algorithm ${JSON.stringify(name)}; expected one of ${SIGNATURE_ALGORITHMS.join(', ')}`,
  );
}

/** The algorithms a key can serve (empty when none). */
export function algorithmsForKey(key: KeyObject): SignatureAlgorithm[] {
  if (key.type === 'secret') return (key.symmetricKeySize ?? 0) > 0 ? ['HMAC-SHA256'] : [];
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ['EdDSA'];
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? ['ES256'] : [];
    case 'rsa':
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= RSA_MODULUS_BITS_MIN ? ['RS256', 'RS512'] : [];
    default:
      return [];
  }
}

/**
 * Throws `KeyInvalidError` unless `key` can `use` `algorithm`: the right key
 * type, curve and size, and a private (or secret) key to sign.
 */
export function checkKeyForAlgorithm(
  algorithm: SignatureAlgorithm,
  key: KeyObject,
  use: 'sign' | 'verify',
): void {
  if (!algorithmsForKey(key).includes(algorithm)) {
    throw new KeyInvalidError(
      `a ${describeKey(key)} cannot be used for ${algorithm} (needs ${KEY_NEEDED[algorithm]})`,
    );
  }
  if (use === 'sign' && key.type === 'public') {
    throw new KeyInvalidError(`signing with ${algorithm} needs a private key, got a public key`);
  }
}

const KEY_NEEDED: Readonly<Record<SignatureAlgorithm, string>> = {
  EdDSA: 'an Ed25519 key',
  ES256: 'an EC key on P-256',
  RS256: `an RSA key of at least ${RSA_MODULUS_BITS_MIN} bits`,
  RS512: `an RSA key of at least ${RSA_MODULUS_BITS_MIN} bits`,
  'HMAC-SHA256': 'a non-empty secret key',
};

/** e.g. `private ec (secp384r1) key`, `public rsa (1024 bits) key`, `secret key (32 bytes)`. */
export function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return `secret key (${key.symmetricKeySize ?? 0} bytes)`;
  const details = key.asymmetricKeyDetails;
  const extra =
    details?.namedCurve ?? (details?.modulusLength === undefined ? '' : `${details.modulusLength} bits`);
  return `${key.type} ${key.asymmetricKeyType ?? 'unknown'}${extra === '' ? '' : ` (${extra})`} key`;
}
