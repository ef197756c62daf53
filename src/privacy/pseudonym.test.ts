import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secretKeyFromBytes } from './SecretKey.ts';
import {
  deriveReversalKey,
  parsePseudonymToken,
  plainToken,
  pseudonymToken,
  reidentifyToken,
} from './pseudonym.ts';
import { randomSecretKey } from './testutil/keys.ts';

const fixedKey = secretKeyFromBytes(Buffer.alloc(32, 1), 'fixed');

describe('pseudonym tokens', () => {
  it('are stable for a key and a value, and name the key', () => {
    const token = pseudonymToken('alice@example.com', fixedKey);
    expect(token).toMatch(/^pseu:[0-9a-f]{16}:[A-Za-z0-9_-]{22}$/);
    expect(token).toBe(pseudonymToken('alice@example.com', fixedKey));
    expect(token.split(':')[1]).toBe(fixedKey.id);
    // the documented formula: HMAC-SHA256(key, 01 || u32 length || UTF-8)[0..16], unpadded base64url
    const input = Buffer.concat([Buffer.from('0100000011', 'hex'), Buffer.from('alice@example.com')]);
    const mac = createHmac('sha256', Buffer.alloc(32, 1)).update(input).digest().subarray(0, 16);
    expect(token).toBe(`pseu:${fixedKey.id}:${mac.toString('base64url')}`);
    expect(fixedKey.id).toBe(
      createHmac('sha256', Buffer.alloc(32, 1))
        .update('otel-audit privacy key id')
        .digest('hex')
        .slice(0, 16),
    );
    expect(pseudonymToken('bob@example.com', fixedKey)).not.toBe(token);
    expect(pseudonymToken('alice@example.com', randomSecretKey())).not.toBe(token);
  });

  it('tell value kinds apart', () => {
    const tokens = new Set(
      ['5', 5n, 5, true, null, Uint8Array.of(5), [5n]].map((v) => pseudonymToken(v, fixedKey)),
    );
    expect(tokens.size).toBe(7);
  });

  it('reversible tokens are stable, extend the plain token, and need the reversal key', () => {
    const reversal = deriveReversalKey(randomSecretKey());
    const token = pseudonymToken('alice@example.com', fixedKey, reversal);
    expect(token).toBe(pseudonymToken('alice@example.com', fixedKey, reversal));
    const parsed = parsePseudonymToken(token);
    expect(parsed?.reversal?.keyId).toBe(reversal.id);
    expect(plainToken(parsed!)).toBe(pseudonymToken('alice@example.com', fixedKey));
    expect(reidentifyToken(token, reversal)).toBe('alice@example.com');
    expect(reidentifyToken(pseudonymToken(42n, fixedKey, reversal), reversal)).toBe(42n);

    expect(() => reidentifyToken(token, deriveReversalKey(randomSecretKey()))).toThrow(
      expect.objectContaining({ code: 'KEY_NOT_FOUND' }),
    );
    expect(() => reidentifyToken(pseudonymToken('x', fixedKey), reversal)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_MALFORMED' }),
    );
    expect(() => reidentifyToken('not a token', reversal)).toThrow(
      expect.objectContaining({ code: 'CIPHERTEXT_MALFORMED' }),
    );
  });

  it('a changed reversible token fails authentication', () => {
    const reversal = deriveReversalKey(randomSecretKey());
    const token = pseudonymToken('alice@example.com', fixedKey, reversal);
    const sealed = token.split(':')[4] as string;
    const flipped = `${sealed.slice(0, 20)}${sealed[20] === 'A' ? 'B' : 'A'}${sealed.slice(21)}`;
    expect(() => reidentifyToken(token.replace(sealed, flipped), reversal)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
    // the sealed part of one token on another token's mac
    const other = pseudonymToken('bob@example.com', fixedKey, reversal);
    const spliced = `${other.split(':').slice(0, 4).join(':')}:${sealed}`;
    expect(() => reidentifyToken(spliced, reversal)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
  });

  it('parses only well-formed tokens', () => {
    expect(parsePseudonymToken('pseu:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAA')).toBeDefined();
    for (const bad of [
      'pseu:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAA',
      'pseu:0123456789ABCDEF:AAAAAAAAAAAAAAAAAAAAAA',
      'pseu:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAB', // non-canonical base64url
      'pseu:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAA:0123456789abcdef:',
      'xpseu:0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      expect(parsePseudonymToken(bad), bad).toBeUndefined();
    }
  });
});
