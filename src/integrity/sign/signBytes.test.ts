/** signBytes / verifyBytes for every algorithm: round trips, and everything that must NOT verify. */
import { createPublicKey, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../../errors.ts';
import { SIGNATURE_ALGORITHMS, parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.ts';
import { KeyInvalidError, SignatureInvalidError } from './errors.ts';
import { decodeIntegrityValue, encodeIntegrityValue } from './integrityValue.ts';
import { signBytes, verifyBytes } from './signBytes.ts';
import { testKeys } from './testutil/keys.ts';

const KEYS = testKeys();
const DATA = new TextEncoder().encode('{"event_name":"user.login.success"}');
const flip = (bytes: Uint8Array, i: number): Uint8Array =>
  Uint8Array.from(bytes, (b, j) => (j === i ? b ^ 1 : b));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OtelAuditError);
    return (error as OtelAuditError).code;
  }
  throw new Error('expected an OtelAuditError');
}

describe.each(KEYS)('$algorithm', ({ algorithm, signing, verifying }) => {
  const other = algorithm === 'EdDSA' ? KEYS[1] : KEYS[0];
  const sameKindOther = testKeys().find((k) => k.algorithm === algorithm);

  it('round-trips', () => {
    const signature = signBytes(algorithm, signing, DATA);
    expect(signature).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(signature)).toBe(false);
    expect(verifyBytes(algorithm, verifying, DATA, signature)).toBe(true);
    expect(verifyBytes(algorithm, signing, DATA, signature)).toBe(true); // a private key verifies too
    expect(
      verifyBytes(algorithm, verifying, new Uint8Array(0), signBytes(algorithm, signing, new Uint8Array(0))),
    ).toBe(true);
  });

  it('rejects tampered data, a tampered signature and another key', () => {
    const signature = signBytes(algorithm, signing, DATA);
    expect(verifyBytes(algorithm, verifying, flip(DATA, 3), signature)).toBe(false);
    expect(verifyBytes(algorithm, verifying, DATA, flip(signature, signature.length - 1))).toBe(false);
    expect(verifyBytes(algorithm, verifying, DATA, signature.subarray(0, signature.length - 1))).toBe(false);
    expect(verifyBytes(algorithm, verifying, DATA, new Uint8Array(0))).toBe(false);
    expect(verifyBytes(algorithm, verifying, DATA, randomBytes(signature.length))).toBe(false);
    expect(verifyBytes(algorithm, sameKindOther!.verifying, DATA, signature)).toBe(false);
  });

  it('refuses a key of the wrong kind with KEY_INVALID', () => {
    expect(codeOf(() => signBytes(algorithm, other!.signing, DATA))).toBe('KEY_INVALID');
    expect(codeOf(() => verifyBytes(algorithm, other!.verifying, DATA, new Uint8Array(64)))).toBe(
      'KEY_INVALID',
    );
  });
});

describe('signatures', () => {
  it('refuses to sign with a public key', () => {
    const ed = KEYS.find((k) => k.algorithm === 'EdDSA')!;
    expect(() => signBytes('EdDSA', ed.verifying, DATA)).toThrow(KeyInvalidError);
  });

  it('Ed25519, RSA PKCS#1 v1.5 and HMAC are deterministic; ECDSA is not', () => {
    for (const { algorithm, signing } of KEYS) {
      const same = Buffer.from(signBytes(algorithm, signing, DATA)).equals(
        signBytes(algorithm, signing, DATA),
      );
      expect(same).toBe(algorithm !== 'ES256');
    }
  });

  it('writes ES256 signatures as ASN.1 DER and does not accept JWS r||s', () => {
    const ec = KEYS.find((k) => k.algorithm === 'ES256')!;
    const der = signBytes('ES256', ec.signing, DATA);
    expect(der[0]).toBe(0x30);
    expect(der.length).toBeGreaterThanOrEqual(8);
    expect(der.length).toBeLessThanOrEqual(72);
    const raw = createSign('sha256').update(DATA).sign({ key: ec.signing, dsaEncoding: 'ieee-p1363' });
    expect(raw).toHaveLength(64);
    expect(verifyBytes('ES256', ec.verifying, DATA, raw)).toBe(false);
  });

  it('signs HMAC with raw secret bytes and compares MACs of any length safely', () => {
    const secret = randomBytes(32);
    const mac = signBytes('HMAC-SHA256', secret, DATA);
    expect(mac).toHaveLength(32);
    expect(verifyBytes('HMAC-SHA256', secret, DATA, mac)).toBe(true);
    expect(verifyBytes('HMAC-SHA256', secret, DATA, mac.subarray(0, 16))).toBe(false);
    expect(codeOf(() => signBytes('HMAC-SHA256', new Uint8Array(0), DATA))).toBe('KEY_INVALID');
  });

  it('refuses RSA keys under 2048 bits and EC keys off P-256', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => signBytes('RS256', small.privateKey, DATA))).toBe('KEY_INVALID');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(
      codeOf(() => verifyBytes('ES256', createPublicKey(p384.privateKey), DATA, new Uint8Array(8))),
    ).toBe('KEY_INVALID');
  });

  it('parses algorithm names exactly', () => {
    for (const name of SIGNATURE_ALGORITHMS) expect(parseSignatureAlgorithm(name)).toBe(name);
    for (const bad of ['eddsa', 'HS256', 'PS256', '']) {
      expect(codeOf(() => parseSignatureAlgorithm(bad as SignatureAlgorithm))).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('audit.integrity.value text', () => {
  it('is standard padded base64, decoded strictly', () => {
    const signature = Uint8Array.of(0xfb, 0xff, 0x01);
    expect(encodeIntegrityValue(signature)).toBe('+/8B');
    expect(decodeIntegrityValue('+/8B')).toEqual(signature);
    for (const bad of ['', '-_8B', '+/8', '+/8B=', ' +/8B', '+/8B\n', 'A'.repeat(8196)]) {
      expect(() => decodeIntegrityValue(bad)).toThrow(SignatureInvalidError);
    }
  });
});
