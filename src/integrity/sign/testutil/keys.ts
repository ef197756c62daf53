/** Fresh test keys for every algorithm (generated once per test file). */
import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { SignatureAlgorithm } from '../algorithms.ts';

export interface TestKey {
  readonly algorithm: SignatureAlgorithm;
  /** Private key, or the HMAC secret. */
  readonly signing: KeyObject;
  /** Public key, or the HMAC secret. */
  readonly verifying: KeyObject;
}

export function testKeys(): TestKey[] {
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secret = createSecretKey(randomBytes(32));
  return [
    { algorithm: 'EdDSA', signing: ed.privateKey, verifying: ed.publicKey },
    { algorithm: 'ES256', signing: ec.privateKey, verifying: ec.publicKey },
    { algorithm: 'RS256', signing: rsa.privateKey, verifying: rsa.publicKey },
    { algorithm: 'RS512', signing: rsa.privateKey, verifying: createPublicKey(rsa.privateKey) },
    { algorithm: 'HMAC-SHA256', signing: secret, verifying: secret },
  ];
}
