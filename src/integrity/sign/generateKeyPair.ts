/**
 * New key material for `otel-audit keys generate`: an asymmetric key pair as
 * PEM (PKCS#8 private key, SPKI public key) with its key id, or a random
 * HMAC-SHA256 secret as standard base64. The private key is returned
 * unencrypted: the caller writes it to a file only its user can read.
 */
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { OtelAuditError } from '../../errors.ts';
import { DEFAULT_SIGNATURE_ALGORITHM, RSA_MODULUS_BITS_MIN, isAsymmetricAlgorithm } from './algorithms.ts';
import type { AsymmetricAlgorithm, SignatureAlgorithm } from './algorithms.ts';
import { keyId } from './keyId.ts';

export interface GenerateKeyPairOptions {
  /** RS256 / RS512 only. Default 3072; at least `RSA_MODULUS_BITS_MIN`, at most 8192. */
  readonly rsaModulusBits?: number;
}

export interface GeneratedKeyPair {
  readonly algorithm: AsymmetricAlgorithm;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

export interface GeneratedHmacKey {
  readonly algorithm: 'HMAC-SHA256';
  readonly keyBase64: string;
  readonly keyId: string;
}

export const RSA_MODULUS_BITS_DEFAULT = 3072;
const RSA_MODULUS_BITS_MAX = 8192;
export const HMAC_KEY_BYTES_DEFAULT = 32;

export function generateKeyPair(
  algorithm: SignatureAlgorithm = DEFAULT_SIGNATURE_ALGORITHM,
  options: GenerateKeyPairOptions = {},
): GeneratedKeyPair {
  if (!isAsymmetricAlgorithm(algorithm)) {
    throw new OtelAuditError('INVALID_ARGUMENT', `${algorithm} has no key pair; use generateHmacKey()`);
  }
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  let pair: { privateKey: string; publicKey: string };
  if (algorithm === 'EdDSA') {
    pair = generateKeyPairSync('ed25519', { privateKeyEncoding, publicKeyEncoding });
  } else if (algorithm === 'ES256') {
    pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding, publicKeyEncoding });
  } else {
    const modulusLength = options.rsaModulusBits ?? RSA_MODULUS_BITS_DEFAULT;
    if (
      !Number.isInteger(modulusLength) ||
      modulusLength < RSA_MODULUS_BITS_MIN ||
      modulusLength > RSA_MODULUS_BITS_MAX
    ) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `rsaModulusBits must be an integer in [${RSA_MODULUS_BITS_MIN}, ${RSA_MODULUS_BITS_MAX}], got ${modulusLength}`,
      );
    }
    pair = generateKeyPairSync('rsa', {
      modulusLength,
      publicExponent: 0x10001,
      privateKeyEncoding,
      publicKeyEncoding,
    });
  }
  return {
    algorithm,
    privateKeyPem: pair.privateKey,
    publicKeyPem: pair.publicKey,
    keyId: keyId(createPublicKey(pair.publicKey)),
  };
}

export function generateHmacKey(options: { readonly bytes?: number } = {}): GeneratedHmacKey {
  const size = options.bytes ?? HMAC_KEY_BYTES_DEFAULT;
  if (!Number.isInteger(size) || size < 16 || size > 1024) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `HMAC key bytes must be an integer in [16, 1024], got ${size}`,
    );
  }
  const secret = randomBytes(size);
  return {
    algorithm: 'HMAC-SHA256',
    keyBase64: secret.toString('base64'),
    keyId: keyId(createSecretKey(secret)),
  };
}
