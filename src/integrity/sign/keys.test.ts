/** Loading keys and certificates from files, environment variables and values; key ids; generation. */
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OtelAuditError } from '../../errors.ts';
import { readVectorFile } from '../canonical/testutil/vectors.ts';
import { SIGNATURE_ALGORITHMS } from './algorithms.ts';
import { generateHmacKey, generateKeyPair } from './generateKeyPair.ts';
import { certificateFingerprint, certificateRef, keyId } from './keyId.ts';
import { KEY_MATERIAL_BYTES_MAX } from './keyMaterial.ts';
import { loadCertificate, loadHmacKey, loadPrivateKey, loadPublicKey } from './loadKeys.ts';
import { signBytes, verifyBytes } from './signBytes.ts';
import { loadSigningKey } from './signingKey.ts';

const ED_KEY = readVectorFile('test-ed25519-key.pem');
const ED_CERT = readVectorFile('test-ed25519-cert.pem');
const RSA_KEY = readVectorFile('test-rsa2048-key.pem'); // PKCS#1 "RSA PRIVATE KEY"
const RSA_CERT = readVectorFile('test-rsa2048-cert.pem');
const EC_KEY = readVectorFile('test-p256-key.pem'); // SEC1 "EC PRIVATE KEY"
/** `openssl pkey -in test-ed25519-key.pem -pubout -outform DER | sha256sum` */
const ED_KEY_ID = 'sha256:1b32eb337c5e920979e66e5ee2b389cd32b7fad6ff43b6369df58f0e870e52ab';
/** `openssl x509 -in test-ed25519-cert.pem -outform DER | sha256sum` */
const ED_CERT_FINGERPRINT = 'sha256:73854c6864d04e2724a400dba91e69c9ad74da66baab392f31354df2801fe34e';

const dir = mkdtempSync(join(tmpdir(), 'otel-audit-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OtelAuditError);
    return (error as OtelAuditError).code;
  }
  throw new Error('expected an OtelAuditError');
}

describe('loading private keys', () => {
  it('reads PKCS#8, PKCS#1 and SEC1 PEM from a file, an env variable or a value', () => {
    expect(loadPrivateKey({ file: file('ed.pem', ED_KEY) }).asymmetricKeyType).toBe('ed25519');
    expect(loadPrivateKey({ env: 'K', environment: { K: RSA_KEY } }, { algorithm: 'RS256' }).type).toBe(
      'private',
    );
    expect(loadPrivateKey({ value: EC_KEY }, { algorithm: 'ES256' }).asymmetricKeyDetails?.namedCurve).toBe(
      'prime256v1',
    );
  });

  it('accepts base64 of PEM (as the Collector env provider does), CRLF line ends and surrounding text', () => {
    expect(keyId(loadPrivateKey({ env: 'K', environment: { K: b64(ED_KEY) } }))).toBe(ED_KEY_ID);
    const wrapped = b64(ED_KEY).replace(/(.{64})/g, '$1\n');
    expect(keyId(loadPrivateKey({ value: wrapped }))).toBe(ED_KEY_ID);
    expect(keyId(loadPrivateKey({ value: ED_KEY.replace(/\n/g, '\r\n') }))).toBe(ED_KEY_ID);
    expect(keyId(loadPrivateKey({ file: file('both.pem', `${ED_CERT}\ncomment\n${ED_KEY}`) }))).toBe(
      ED_KEY_ID,
    );
  });

  it('refuses missing, empty, oversized, non-PEM, corrupt and encrypted material with KEY_INVALID', () => {
    const bad = [
      () => loadPrivateKey({ file: join(dir, 'missing.pem') }),
      () => loadPrivateKey({ env: 'UNSET', environment: {} }),
      () => loadPrivateKey({ env: 'EMPTY', environment: { EMPTY: '' } }),
      () => loadPrivateKey({ value: '  \n' }),
      () => loadPrivateKey({ value: 'not a key' }),
      () => loadPrivateKey({ value: b64('not a key either') }),
      () => loadPrivateKey({ value: ED_KEY.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA') }),
      () => loadPrivateKey({ value: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
      () => loadPrivateKey({ value: ED_CERT }),
      () => loadPrivateKey({ file: file('big.pem', 'x'.repeat(KEY_MATERIAL_BYTES_MAX + 1)) }),
      () =>
        loadPrivateKey({
          value: generateKeyPairSync('ed25519', {
            privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
            publicKeyEncoding: { type: 'spki', format: 'pem' },
          }).privateKey,
        }),
      () =>
        loadPrivateKey({
          value: generateKeyPairSync('rsa', {
            modulusLength: 2048,
            privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
            publicKeyEncoding: { type: 'spki', format: 'pem' },
          }).privateKey,
        }),
      () => loadPrivateKey({ value: ED_KEY }, { algorithm: 'RS256' }),
      () =>
        loadPrivateKey({
          value: generateKeyPairSync('rsa', {
            modulusLength: 1024,
            privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
            publicKeyEncoding: { type: 'spki', format: 'pem' },
          }).privateKey,
        }),
    ];
    for (const fn of bad) expect(codeOf(fn)).toBe('KEY_INVALID');
  });

  it('names the source, never the secret, in errors', () => {
    try {
      loadPrivateKey({ env: 'SIGNING_KEY', environment: { SIGNING_KEY: 'hunter2-secret' } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('environment variable SIGNING_KEY');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('loading public keys and certificates', () => {
  it('reads SPKI PEM, PKCS#1 public PEM and the key of a certificate', () => {
    const spki = createPublicKey(ED_KEY).export({ type: 'spki', format: 'pem' }) as string;
    expect(keyId(loadPublicKey({ value: spki }))).toBe(ED_KEY_ID);
    expect(keyId(loadPublicKey({ value: ED_CERT }))).toBe(ED_KEY_ID);
    const pkcs1 = createPublicKey(RSA_KEY).export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(pkcs1).toContain('RSA PUBLIC KEY');
    expect(keyId(loadPublicKey({ value: pkcs1 }, { algorithm: 'RS512' }))).toBe(
      keyId(createPublicKey(RSA_KEY)),
    );
  });

  it('refuses a private key where a public key belongs', () => {
    expect(codeOf(() => loadPublicKey({ value: ED_KEY }))).toBe('KEY_INVALID');
    expect(codeOf(() => loadPublicKey({ value: EC_KEY }))).toBe('KEY_INVALID');
  });

  it('loads X.509 certificates and makes both certificate references', () => {
    const cert = loadCertificate({ env: 'C', environment: { C: b64(ED_CERT) } });
    expect(cert).toBeInstanceOf(X509Certificate);
    expect(certificateFingerprint(cert)).toBe(ED_CERT_FINGERPRINT);
    expect(certificateRef(cert)).toBe(ED_CERT_FINGERPRINT);
    expect(certificateRef(cert, 'full')).toBe(cert.raw.toString('base64'));
    expect(certificateRef(cert, 'full')).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(codeOf(() => loadCertificate({ value: ED_KEY }))).toBe('KEY_INVALID');
    expect(codeOf(() => loadCertificate({ value: ED_CERT.replace(/\n[A-Za-z0-9+/]{12}/, '\n!!!!') }))).toBe(
      'KEY_INVALID',
    );
  });
});

describe('HMAC keys', () => {
  it('are standard base64 (padding required, line breaks ignored), non-empty', () => {
    const key = loadHmacKey({ env: 'H', environment: { H: 'c2VjcmV0LWtleS0xMjM0NQ==' } });
    expect(key.export().toString()).toBe('secret-key-12345');
    expect(loadHmacKey({ file: file('hmac.key', 'c2VjcmV0LWtleS0xMjM0NQ==\n') }).symmetricKeySize).toBe(16);
    for (const bad of ['secret-key', 'c2VjcmV0LWtleS0xMjM0NQ', 'c2VjcmV0_2V5', '====']) {
      expect(codeOf(() => loadHmacKey({ value: bad }))).toBe('KEY_INVALID');
    }
  });
});

describe('key ids', () => {
  it('are sha256 of the SPKI DER: the same for the private key, the public key and the certificate', () => {
    const priv = loadPrivateKey({ value: ED_KEY });
    expect(keyId(priv)).toBe(ED_KEY_ID);
    expect(keyId(createPublicKey(priv))).toBe(ED_KEY_ID);
    expect(keyId(new X509Certificate(ED_CERT).publicKey)).toBe(ED_KEY_ID);
    expect(keyId(loadPrivateKey({ value: RSA_KEY }))).toBe(keyId(new X509Certificate(RSA_CERT).publicKey));
    expect(keyId(priv)).not.toBe(certificateFingerprint(new X509Certificate(ED_CERT)));
  });

  it('of HMAC secrets derive from the secret without revealing it', () => {
    const a = loadHmacKey({ value: 'c2VjcmV0LWtleS0xMjM0NQ==' });
    expect(keyId(a)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(keyId(a)).toBe(keyId(loadHmacKey({ value: 'c2VjcmV0LWtleS0xMjM0NQ==' })));
    expect(keyId(a)).not.toBe(keyId(loadHmacKey({ value: 'c2VjcmV0LWtleS0xMjM0Ng==' })));
  });
});

describe('generateKeyPair', () => {
  it.each(SIGNATURE_ALGORITHMS.filter((a) => a !== 'HMAC-SHA256'))(
    '%s: PEM that loads, signs and verifies',
    (alg) => {
      const pair = generateKeyPair(alg, { rsaModulusBits: 2048 });
      expect(pair.algorithm).toBe(alg);
      expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const priv = loadPrivateKey({ value: pair.privateKeyPem }, { algorithm: alg });
      const pub = loadPublicKey({ value: pair.publicKeyPem }, { algorithm: alg });
      expect(pair.keyId).toBe(keyId(priv));
      expect(pair.keyId).toBe(keyId(pub));
      const data = Uint8Array.of(1, 2, 3);
      expect(verifyBytes(alg, pub, data, signBytes(alg, priv, data))).toBe(true);
    },
  );

  it('defaults to EdDSA and refuses HMAC and weak RSA sizes', () => {
    expect(generateKeyPair().algorithm).toBe('EdDSA');
    expect(codeOf(() => generateKeyPair('HMAC-SHA256'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => generateKeyPair('RS256', { rsaModulusBits: 1024 }))).toBe('INVALID_ARGUMENT');
  });

  it('makes 32-byte HMAC keys in base64', () => {
    const key = generateHmacKey();
    expect(Buffer.from(key.keyBase64, 'base64')).toHaveLength(32);
    expect(key.keyId).toBe(keyId(loadHmacKey({ value: key.keyBase64 })));
  });
});

describe('loadSigningKey', () => {
  it('loads a private key with its matching certificate', () => {
    const key = loadSigningKey({ privateKey: { value: ED_KEY }, certificate: { value: ED_CERT } });
    expect(key.algorithm).toBe('EdDSA');
    expect(key.keyId).toBe(ED_KEY_ID);
    expect(key.certificate && certificateRef(key.certificate)).toBe(ED_CERT_FINGERPRINT);
    expect(key.publicKey && keyId(key.publicKey)).toBe(ED_KEY_ID);
  });

  it('refuses a certificate of another key, a missing key, and mixed material', () => {
    expect(
      codeOf(() => loadSigningKey({ privateKey: { value: ED_KEY }, certificate: { value: RSA_CERT } })),
    ).toBe('KEY_INVALID');
    expect(codeOf(() => loadSigningKey({ algorithm: 'RS256', privateKey: { value: ED_KEY } }))).toBe(
      'KEY_INVALID',
    );
    expect(codeOf(() => loadSigningKey({ algorithm: 'ES256' }))).toBe('KEY_INVALID');
    expect(codeOf(() => loadSigningKey({ algorithm: 'HMAC-SHA256', privateKey: { value: ED_KEY } }))).toBe(
      'KEY_INVALID',
    );
  });

  it('loads an HMAC secret', () => {
    const key = loadSigningKey({ algorithm: 'HMAC-SHA256', hmacKey: { value: 'c2VjcmV0LWtleS0xMjM0NQ==' } });
    expect(key.publicKey).toBeUndefined();
    expect(key.keyId).toMatch(/^hmac-sha256:/);
  });
});
