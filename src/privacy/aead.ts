/**
 * AES-256-GCM as every privacy format uses it: a 12-byte nonce, a 16-byte
 * tag, and the sealed form `nonce || ciphertext || tag`. Associated data is
 * always given: each format binds its ciphertexts to what they belong to.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { CiphertextMalformedError, DecryptFailedError } from './errors.ts';

export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** Encrypts `plaintext`; the nonce is random unless given (only a derived, never-repeating nonce may be). */
export function sealGcm(
  key: KeyObject,
  plaintext: Uint8Array,
  aad: Uint8Array,
  nonce: Uint8Array = randomBytes(GCM_NONCE_BYTES),
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/** Decrypts `nonce || ciphertext || tag`; `what` names the value in errors. */
export function openGcm(key: KeyObject, sealed: Uint8Array, aad: Uint8Array, what: string): Buffer {
  if (sealed.length < GCM_NONCE_BYTES + GCM_TAG_BYTES) {
    throw new CiphertextMalformedError(`${what}: ${sealed.length} bytes is too short for nonce and tag`);
  }
  const nonce = sealed.subarray(0, GCM_NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - GCM_TAG_BYTES);
  const body = sealed.subarray(GCM_NONCE_BYTES, sealed.length - GCM_TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptFailedError(
      `${what}: authentication failed (changed ciphertext, or bound to another key, field or record)`,
    );
  }
}

/** Associated data: a label, then each part as u32 length + bytes (so parts cannot run into each other). */
export function associatedData(label: string, parts: readonly (string | Uint8Array)[]): Buffer {
  const out: Buffer[] = [Buffer.from(label, 'utf8')];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    out.push(length, bytes);
  }
  return Buffer.concat(out);
}
