/**
 * Typed errors of the signature layer. Both are permanent: the same key or
 * the same signature fails the same way on every attempt.
 */
import { OtelAuditError } from '../../errors.ts';

/**
 * Key material that cannot be used: unreadable or missing source, not PEM,
 * an encrypted key, the wrong kind of key for the algorithm, a private key
 * where a public one belongs, a weak RSA modulus, bad HMAC base64.
 */
export class KeyInvalidError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('KEY_INVALID', message, { cause });
  }
}

/** A signature or MAC that does not verify (or cannot be decoded). `keyId`: the key tried, if one was named. */
export class SignatureInvalidError extends OtelAuditError {
  readonly keyId: string | undefined;

  constructor(message: string, keyId?: string) {
    super('SIGNATURE_INVALID', message);
    this.keyId = keyId;
  }
}
