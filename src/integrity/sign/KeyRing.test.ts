/** KeyRing: selection by key id and certificate reference, rotation, bounds, typed failures. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readVectorFile } from '../canonical/testutil/vectors.ts';
import { SignatureInvalidError } from './errors.ts';
import { certificateFingerprint, keyId } from './keyId.ts';
import { KeyRing } from './KeyRing.ts';
import { signBytes } from './signBytes.ts';
import { testKeys } from './testutil/keys.ts';

const DATA = new TextEncoder().encode('checkpoint 42');
const ED_CERT = new X509Certificate(readVectorFile('test-ed25519-cert.pem'));
const ED_KEY = readVectorFile('test-ed25519-key.pem');

describe('KeyRing', () => {
  it('keeps verifying with old keys after rotation, newest tried first', () => {
    const ring = new KeyRing();
    const old = generateKeyPairSync('ed25519');
    const current = generateKeyPairSync('ed25519');
    const oldId = ring.add(old.publicKey);
    const newId = ring.add(current.publicKey);
    expect(ring.keyIds()).toEqual([oldId, newId]);
    const byOld = signBytes('EdDSA', old.privateKey, DATA);
    const byNew = signBytes('EdDSA', current.privateKey, DATA);
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature: byOld })).toEqual({
      ok: true,
      keyId: oldId,
    });
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature: byNew })).toEqual({
      ok: true,
      keyId: newId,
    });
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature: byOld, keyId: oldId }).ok).toBe(true);
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature: byOld, keyId: newId })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(ring.remove(oldId)).toBe(true);
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature: byOld })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('serves every algorithm, choosing keys that fit it', () => {
    const ring = new KeyRing();
    const keys = testKeys();
    for (const k of keys) ring.add(k.verifying);
    for (const k of keys) {
      const result = ring.verify({
        algorithm: k.algorithm,
        data: DATA,
        signature: signBytes(k.algorithm, k.signing, DATA),
      });
      expect(result).toEqual({ ok: true, keyId: keyId(k.verifying) });
    }
    expect(ring.size).toBe(4); // RS256 and RS512 share one RSA key
  });

  it('keeps only the public half of a private key', () => {
    const ring = new KeyRing();
    const pair = generateKeyPairSync('ed25519');
    const id = ring.add(pair.privateKey);
    expect(id).toBe(keyId(pair.publicKey));
    expect(ring.get(id)?.type).toBe('public');
  });

  it('finds the key of a certificate by fingerprint or full DER reference', () => {
    const ring = new KeyRing();
    const id = ring.add(ED_CERT);
    const signature = signBytes('EdDSA', createPrivateKey(ED_KEY), DATA);
    const fingerprint = certificateFingerprint(ED_CERT);
    const full = ED_CERT.raw.toString('base64');
    expect(ring.resolveCertificateRef(fingerprint)).toBe(id);
    expect(ring.resolveCertificateRef(fingerprint.toUpperCase().replace('SHA256', 'sha256'))).toBe(id);
    expect(ring.resolveCertificateRef(full)).toBe(id);
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature, certificateRef: fingerprint }).ok).toBe(
      true,
    );
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature, certificateRef: full }).ok).toBe(true);
    expect(ring.verify({ algorithm: 'EdDSA', data: DATA, signature, certificateRef: 'sha256:00' })).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
  });

  it('reports unknown keys and algorithms no key serves', () => {
    const ring = new KeyRing();
    ring.add(generateKeyPairSync('ed25519').publicKey);
    expect(
      ring.verify({ algorithm: 'EdDSA', data: DATA, signature: new Uint8Array(64), keyId: 'sha256:ff' }),
    ).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
    expect(ring.verify({ algorithm: 'RS256', data: DATA, signature: new Uint8Array(256) })).toEqual({
      ok: false,
      reason: 'no-key',
    });
  });

  it('verifyOrThrow returns the key id or throws SIGNATURE_INVALID', () => {
    const ring = new KeyRing();
    const pair = generateKeyPairSync('ed25519');
    const id = ring.add(pair.publicKey);
    expect(
      ring.verifyOrThrow({
        algorithm: 'EdDSA',
        data: DATA,
        signature: signBytes('EdDSA', pair.privateKey, DATA),
      }),
    ).toBe(id);
    try {
      ring.verifyOrThrow({ algorithm: 'EdDSA', data: DATA, signature: new Uint8Array(64), keyId: id });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SignatureInvalidError);
      expect((error as SignatureInvalidError).code).toBe('SIGNATURE_INVALID');
      expect((error as SignatureInvalidError).keyId).toBe(id);
    }
  });

  it('is bounded, idempotent for the same key and refuses a key id reused for another key', () => {
    const ring = new KeyRing({ keysMax: 2 });
    const a = generateKeyPairSync('ed25519').publicKey;
    expect(ring.add(a)).toBe(ring.add(createPublicKey(a.export({ type: 'spki', format: 'pem' }))));
    ring.add(generateKeyPairSync('ed25519').publicKey);
    expect(() => ring.add(generateKeyPairSync('ed25519').publicKey)).toThrow(/full/);
    const named = new KeyRing();
    named.add(a, { keyId: 'key-2024-01' });
    expect(() => named.add(generateKeyPairSync('ed25519').publicKey, { keyId: 'key-2024-01' })).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });
});
