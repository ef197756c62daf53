/**
 * Loading keys and certificates from a `KeyMaterialSource`:
 *
 * - private keys: PEM `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
 *   `EC PRIVATE KEY` (SEC1) — the types the Collector processor reads;
 *   encrypted keys are refused (decrypt them into a protected file instead);
 * - public keys: PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY`, or a
 *   `CERTIFICATE` (its subject public key); a private key is refused here so a
 *   verification config never holds signing material by mistake;
 * - certificates: PEM `CERTIFICATE` (X.509, `crypto.X509Certificate`);
 * - HMAC secrets: standard base64 (padded; line breaks ignored), non-empty.
 *
 * PEM may come base64-encoded (as the processor's providers accept); the
 * first block of the wanted kind is used. With `algorithm`, the key must fit
 * it (algorithms.ts). Every failure is a `KeyInvalidError` naming the source.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import {
  algorithmsForKey,
  checkKeyForAlgorithm,
  describeKey,
  type SignatureAlgorithm,
} from './algorithms.ts';
import { KeyInvalidError } from './errors.ts';
import { decodeStandardBase64, pemBlocks, pemText, type PemBlock } from './internal/pem.ts';
import { describeSource, readKeyMaterial, type KeyMaterialSource } from './keyMaterial.ts';

export interface LoadKeyOptions {
  /** When set, the key must be usable for this algorithm. */
  readonly algorithm?: SignatureAlgorithm;
}

const PRIVATE_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];
const PUBLIC_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY'];
const CERTIFICATE_LABEL = 'CERTIFICATE';

export function loadPrivateKey(source: KeyMaterialSource, options: LoadKeyOptions = {}): KeyObject {
  const blocks = readBlocks(source);
  const block = blocks.find((b) => PRIVATE_LABELS.includes(b.label));
  if (block === undefined || block.pem.includes('Proc-Type: 4,ENCRYPTED')) {
    const encrypted = block !== undefined || blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY');
    throw new KeyInvalidError(
      encrypted
        ? `${describeSource(source)} holds an encrypted private key, which is not supported`
        : `${describeSource(source)} holds no PEM private key (${PRIVATE_LABELS.join(', ')})${found(blocks)}`,
    );
  }
  const key = parse(source, 'private key', () => createPrivateKey({ key: block.pem, format: 'pem' }));
  return checked(source, key, options, 'sign');
}

export function loadPublicKey(source: KeyMaterialSource, options: LoadKeyOptions = {}): KeyObject {
  const blocks = readBlocks(source);
  const block = blocks.find((b) => PUBLIC_LABELS.includes(b.label) || b.label === CERTIFICATE_LABEL);
  if (block === undefined) {
    const privateOnly = blocks.some((b) => PRIVATE_LABELS.includes(b.label) || b.label.includes('PRIVATE'));
    throw new KeyInvalidError(
      privateOnly
        ? `${describeSource(source)} holds a private key where a public key or certificate is expected`
        : `${describeSource(source)} holds no PEM public key or certificate${found(blocks)}`,
    );
  }
  const key =
    block.label === CERTIFICATE_LABEL
      ? parse(source, 'certificate', () => new X509Certificate(block.pem)).publicKey
      : parse(source, 'public key', () => createPublicKey({ key: block.pem, format: 'pem' }));
  return checked(source, key, options, 'verify');
}

export function loadCertificate(source: KeyMaterialSource): X509Certificate {
  const blocks = readBlocks(source);
  const block = blocks.find((b) => b.label === CERTIFICATE_LABEL);
  if (block === undefined)
    throw new KeyInvalidError(`${describeSource(source)} holds no PEM certificate${found(blocks)}`);
  return parse(source, 'certificate', () => new X509Certificate(block.pem));
}

/** An HMAC-SHA256 secret from standard base64 text (the Collector processor's HMAC key format). */
export function loadHmacKey(source: KeyMaterialSource): KeyObject {
  const bytes = decodeStandardBase64(readKeyMaterial(source));
  if (bytes === undefined)
    throw new KeyInvalidError(`${describeSource(source)}: HMAC key is not standard base64`);
  if (bytes.length === 0) throw new KeyInvalidError(`${describeSource(source)}: HMAC key is empty`);
  return createSecretKey(bytes);
}

function readBlocks(source: KeyMaterialSource): PemBlock[] {
  const text = pemText(readKeyMaterial(source));
  if (!text.includes('-----BEGIN'))
    throw new KeyInvalidError(`${describeSource(source)} is neither PEM nor base64 of PEM`);
  return pemBlocks(text);
}

function parse<T>(source: KeyMaterialSource, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new KeyInvalidError(
      `${describeSource(source)}: cannot parse the ${what}: ${(error as Error).message}`,
      error,
    );
  }
}

function checked(
  source: KeyMaterialSource,
  key: KeyObject,
  options: LoadKeyOptions,
  use: 'sign' | 'verify',
): KeyObject {
  if (algorithmsForKey(key).length === 0) {
    throw new KeyInvalidError(`${describeSource(source)}: a ${describeKey(key)} fits no supported algorithm`);
  }
  if (options.algorithm !== undefined) checkKeyForAlgorithm(options.algorithm, key, use);
  return key;
}

function found(blocks: readonly PemBlock[]): string {
  return blocks.length === 0 ? '' : `; found ${blocks.map((b) => b.label).join(', ')}`;
}
