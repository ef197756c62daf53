/**
 * A ready-to-use signing key for one algorithm, loaded the way the Collector
 * contrib `signing` processor's `key_source` is: a private key (plus,
 * optionally, the certificate that carries its public key — checked to
 * match) for the asymmetric algorithms, or a base64 secret for HMAC-SHA256.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { DEFAULT_SIGNATURE_ALGORITHM, isAsymmetricAlgorithm, type SignatureAlgorithm } from './algorithms.ts';
import { KeyInvalidError } from './errors.ts';
import { keyId } from './keyId.ts';
import type { KeyMaterialSource } from './keyMaterial.ts';
import { describeSource } from './keyMaterial.ts';
import { loadCertificate, loadHmacKey, loadPrivateKey } from './loadKeys.ts';

export interface SigningKeyOptions {
  /** Default `EdDSA`. */
  readonly algorithm?: SignatureAlgorithm;
  /** Required for the asymmetric algorithms. */
  readonly privateKey?: KeyMaterialSource;
  /** Optional, asymmetric only: must hold the private key's public key. */
  readonly certificate?: KeyMaterialSource;
  /** Required for HMAC-SHA256 (standard base64). */
  readonly hmacKey?: KeyMaterialSource;
}

export interface SigningKey {
  readonly algorithm: SignatureAlgorithm;
  /** The private key, or the HMAC secret. */
  readonly key: KeyObject;
  /** Undefined for HMAC. */
  readonly publicKey: KeyObject | undefined;
  readonly keyId: string;
  readonly certificate: X509Certificate | undefined;
}

export function loadSigningKey(options: SigningKeyOptions): SigningKey {
  const algorithm = options.algorithm ?? DEFAULT_SIGNATURE_ALGORITHM;
  if (!isAsymmetricAlgorithm(algorithm)) {
    if (options.hmacKey === undefined) throw new KeyInvalidError(`${algorithm} needs an HMAC key`);
    if (options.privateKey !== undefined || options.certificate !== undefined) {
      throw new KeyInvalidError(`${algorithm} takes an HMAC key only, not a private key or certificate`);
    }
    const key = loadHmacKey(options.hmacKey);
    return { algorithm, key, publicKey: undefined, keyId: keyId(key), certificate: undefined };
  }
  if (options.privateKey === undefined) throw new KeyInvalidError(`${algorithm} needs a private key`);
  if (options.hmacKey !== undefined) throw new KeyInvalidError(`${algorithm} does not take an HMAC key`);
  const key = loadPrivateKey(options.privateKey, { algorithm });
  let certificate: X509Certificate | undefined;
  if (options.certificate !== undefined) {
    certificate = loadCertificate(options.certificate);
    if (!certificate.checkPrivateKey(key)) {
      throw new KeyInvalidError(
        `${describeSource(options.certificate)}: the certificate does not match the private key in ${describeSource(options.privateKey)}`,
      );
    }
  }
  return { algorithm, key, publicKey: createPublicKey(key), keyId: keyId(key), certificate };
}
