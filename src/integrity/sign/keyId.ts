/**
 * Key identifiers and certificate references.
 *
 * - Key id of an asymmetric key: `sha256:` + lowercase hex of SHA-256 over
 *   the DER SubjectPublicKeyInfo (SPKI) of its public key — the same for the
 *   private key, the public key and a certificate holding it, stable across
 *   PEM re-encodings, computable by anyone with the public key
 *   (`openssl pkey -pubin -outform DER | sha256sum`).
 * - Key id of an HMAC secret: `hmac-sha256:` + hex of HMAC-SHA256(secret,
 *   "otel-audit key id") — holders of the secret can compute it; it reveals
 *   nothing about the secret.
 * - Certificate reference (`audit.integrity.certificate`, the Collector
 *   processor's `certificate_ref`): `fingerprint` = `sha256:` + lowercase hex
 *   of SHA-256 over the certificate DER (no separators), `full` = standard
 *   base64 of the DER. A certificate's fingerprint is NOT its key id: one
 *   hashes the whole certificate, the other only the public key.
 */
import { createHash, createHmac, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';

export const KEY_ID_PREFIX = 'sha256:';
export const HMAC_KEY_ID_PREFIX = 'hmac-sha256:';
const HMAC_KEY_ID_MESSAGE = 'otel-audit key id';

export type CertificateRefMode = 'fingerprint' | 'full';

/** The key id of a public, private or secret key (see the module comment). */
export function keyId(key: KeyObject): string {
  if (key.type === 'secret') {
    return HMAC_KEY_ID_PREFIX + createHmac('sha256', key).update(HMAC_KEY_ID_MESSAGE).digest('hex');
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return KEY_ID_PREFIX + createHash('sha256').update(spki).digest('hex');
}

/** `sha256:<hex of SHA-256(DER)>` — the `fingerprint` certificate reference. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return 'sha256:' + createHash('sha256').update(certificate.raw).digest('hex');
}

/** The `audit.integrity.certificate` value for `certificate`. */
export function certificateRef(
  certificate: X509Certificate,
  mode: CertificateRefMode = 'fingerprint',
): string {
  return mode === 'full' ? certificate.raw.toString('base64') : certificateFingerprint(certificate);
}
