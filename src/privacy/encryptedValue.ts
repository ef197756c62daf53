/**
 * Encrypted values (docs/privacy.md, "Encryption and crypto-shredding"):
 *
 *   enc:v1:<data key id>:<sealed>
 *
 * - data key id: the key store's id of the data subject's key
 *   (`<subject ref>.<generation>`, KeyStore.ts);
 * - sealed: unpadded base64url of nonce (12 random bytes) || AES-256-GCM
 *   ciphertext || tag (16 bytes) of the canonical value bytes
 *   (valueBytes.ts), so every value kind comes back as it was;
 * - associated data: "otel-audit enc v1", then (each as u32 length + UTF-8)
 *   the data key id, the record's time (`timeUnixNano`, decimal) and the
 *   field's path from the record root — `attributes`, then each key down to
 *   the value (`["attributes", "user", "email"]`), or `["body"]` /
 *   `["body", "card", "number"]`. A ciphertext moved to another field, to
 *   another record (other time) or relabelled with another key id fails
 *   authentication.
 *
 * The value is always a string, so it survives every exporter and OTLP/JSON.
 */
import type { KeyObject } from 'node:crypto';
import type { AnyValue } from '../record/AnyValue.ts';
import { associatedData, openGcm, sealGcm } from './aead.ts';
import { fromBase64Url, toBase64Url } from './internal/base64url.ts';
import { decodeValueBytes, encodeValueBytes } from './valueBytes.ts';

export const ENCRYPTED_PREFIX = 'enc:v1:';
const PATTERN = /^enc:v1:([0-9a-f]{32}\.[0-9a-f]{12}):([A-Za-z0-9_-]+)$/;
const AAD_LABEL = 'otel-audit enc v1';

/** What a ciphertext is bound to besides its key. */
export interface FieldBinding {
  /** From the record root: `['attributes', key, nested key...]` or `['body', nested key...]`. */
  readonly path: readonly string[];
  readonly timeUnixNano: bigint;
}

export interface ParsedEncryptedValue {
  readonly keyId: string;
  readonly sealed: Buffer;
}

export function encryptValue(value: AnyValue, keyId: string, key: KeyObject, binding: FieldBinding): string {
  const sealed = sealGcm(key, encodeValueBytes(value), aad(keyId, binding));
  return `${ENCRYPTED_PREFIX}${keyId}:${toBase64Url(sealed)}`;
}

/** The parts of an encrypted value, or undefined when `text` is not one. */
export function parseEncryptedValue(text: string): ParsedEncryptedValue | undefined {
  if (!text.startsWith(ENCRYPTED_PREFIX)) return undefined;
  const m = PATTERN.exec(text);
  const sealed = m === null ? undefined : fromBase64Url(m[2] as string);
  return sealed === undefined ? undefined : { keyId: (m as RegExpExecArray)[1] as string, sealed };
}

/** The value; `DecryptFailedError` when it was changed or is bound elsewhere. */
export function decryptValue(parsed: ParsedEncryptedValue, key: KeyObject, binding: FieldBinding): AnyValue {
  const what = `encrypted value at ${binding.path.join('/')}`;
  return decodeValueBytes(openGcm(key, parsed.sealed, aad(parsed.keyId, binding), what));
}

function aad(keyId: string, binding: FieldBinding): Buffer {
  return associatedData(AAD_LABEL, [keyId, binding.timeUnixNano.toString(), ...binding.path]);
}
