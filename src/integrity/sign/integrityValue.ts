/**
 * The text form of a signature in `audit.integrity.value`: standard base64
 * with padding, no line breaks (as the draft and the Collector processor
 * write it). Decoding is strict — a value base64 would only half-read is a
 * `SignatureInvalidError`, not a shorter signature.
 */
import { SignatureInvalidError } from './errors.ts';

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Far above any signature here (an RSA-16384 signature is 2 KiB). */
export const INTEGRITY_VALUE_CHARS_MAX = 8192;

export function encodeIntegrityValue(signature: Uint8Array): string {
  return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64');
}

export function decodeIntegrityValue(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length === 0 || text.length > INTEGRITY_VALUE_CHARS_MAX) {
    throw new SignatureInvalidError('audit.integrity.value is empty, too long or not a string');
  }
  if (!STANDARD_BASE64.test(text)) {
    throw new SignatureInvalidError('audit.integrity.value is not standard base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
