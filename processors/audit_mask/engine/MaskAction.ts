/**
 * What happens to a detected value, per detector:
 * - `redact`: replaced by the detector's `replacement`, or the template
 *   (`[REDACTED:<detector>]` by default);
 * - `partial`: every character but the last `keep_last` replaced by `*` (card
 *   numbers and other digit detectors lose their separators first:
 *   `************1234`); never more than half of the value is kept;
 * - `hash`: `hmac:` + the first 16 hex digits of HMAC-SHA256(key, value),
 *   the value normalised first (digits only for cards, phones and SSNs, upper
 *   case without spaces for IBANs, lower case for e-mail and IPv6) so the
 *   same value always gives the same token and joins still work;
 * - `drop`: the attribute, or the map entry, holding the value is removed;
 *   where there is no key to remove (the body itself, an array element) the
 *   value is redacted instead.
 */
import { hmacToken } from './digest.ts';

export const MASK_ACTIONS = ['redact', 'partial', 'hash', 'drop'] as const;
export type MaskActionName = (typeof MASK_ACTIONS)[number];

export interface MaskAction {
  readonly action: MaskActionName;
  readonly keepLast: number;
  /** The replacement text for `redact` (and `drop` where nothing can be removed). */
  readonly replacement: string;
}

const DIGITS_ONLY = new Set(['credit_card', 'phone', 'ssn']);
const LOWER_CASE = new Set(['email', 'ipv6']);

/** The value as it is hashed and partially shown. */
export function normalizeForType(type: string, raw: string): string {
  if (DIGITS_ONLY.has(type)) return raw.replace(/\D/g, '');
  if (type === 'iban') return raw.replace(/ /g, '').toUpperCase();
  if (LOWER_CASE.has(type)) return raw.toLowerCase();
  return raw;
}

export function partialMask(value: string, keepLast: number): string {
  const keep = Math.min(keepLast, Math.floor(value.length / 2));
  return '*'.repeat(value.length - keep) + value.slice(value.length - keep);
}

/** The text that replaces `raw` (a value of detector `type`) under `action`; `drop` gives the redaction. */
export function replacementFor(
  type: string,
  raw: string,
  action: MaskAction,
  key: Uint8Array | undefined,
): string {
  switch (action.action) {
    case 'partial':
      return partialMask(DIGITS_ONLY.has(type) ? normalizeForType(type, raw) : raw, action.keepLast);
    case 'hash':
      // A configuration with a hash action cannot be created without a key (AuditMaskProcessor).
      return key === undefined ? action.replacement : hmacToken(key, normalizeForType(type, raw));
    default:
      return action.replacement;
  }
}
