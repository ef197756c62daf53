/**
 * The verification keys a verifier trusts, by key id — several at once so
 * that keys can rotate: a new key is added, the old one stays and records
 * (and checkpoints) signed with it keep verifying; a key is removed only when
 * nothing signed with it needs verifying any more (or it was compromised).
 *
 * A ring holds PUBLIC keys (a private key given to `add` is reduced to its
 * public key; the private part is never kept) and, for HMAC-SHA256, secrets.
 * Certificates are indexed by their fingerprint too, so a record's
 * `audit.integrity.certificate` (`sha256:<hex>` or base64 DER) finds its key.
 * A certificate reference only SELECTS a trusted key: a certificate that
 * merely arrives inside a record is never trusted.
 *
 * Which key verifies a signature: the one named by `keyId` (otel-audit's
 * `audit.integrity.key_id`), else the one `certificateRef` points to, else
 * every key that serves the algorithm, newest first (records signed by a
 * Collector carry no key id). Bounded: at most `keysMax` keys (default 64).
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { OtelAuditError } from '../../errors.ts';
import { algorithmsForKey, describeKey, type SignatureAlgorithm } from './algorithms.ts';
import { KeyInvalidError, SignatureInvalidError } from './errors.ts';
import { decodeStandardBase64 } from './internal/pem.ts';
import { certificateFingerprint, keyId as keyIdOf } from './keyId.ts';
import { verifyBytes } from './signBytes.ts';

export interface KeyRingOptions {
  /** Default 64. */
  readonly keysMax?: number;
}

export interface KeyRingAddOptions {
  /** Override the derived key id (e.g. a JWK `kid` agreed out of band). */
  readonly keyId?: string;
}

export interface KeyRingVerifyInput {
  readonly algorithm: SignatureAlgorithm;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  /** Use only this key. */
  readonly keyId?: string;
  /** Use only the key of this certificate (`sha256:<hex>` fingerprint or base64 DER). */
  readonly certificateRef?: string;
}

export type KeyRingVerification =
  | { readonly ok: true; readonly keyId: string }
  | {
      readonly ok: false;
      /** `unknown-key`: the named key / certificate is not in the ring; `no-key`: no key serves the algorithm. */
      readonly reason: 'unknown-key' | 'no-key' | 'bad-signature';
    };

interface Entry {
  readonly keyId: string;
  readonly key: KeyObject;
  readonly algorithms: readonly SignatureAlgorithm[];
}

export const KEY_RING_KEYS_MAX_DEFAULT = 64;

export class KeyRing {
  readonly #keysMax: number;
  readonly #entries = new Map<string, Entry>();
  /** certificate fingerprint → key id */
  readonly #fingerprints = new Map<string, string>();

  constructor(options: KeyRingOptions = {}) {
    this.#keysMax = options.keysMax ?? KEY_RING_KEYS_MAX_DEFAULT;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Adds a public key, a private key (its public half is kept), an HMAC secret or a certificate. Returns the key id. */
  add(key: KeyObject | X509Certificate, options: KeyRingAddOptions = {}): string {
    const certificate = key instanceof X509Certificate ? key : undefined;
    let keyObject = certificate === undefined ? (key as KeyObject) : certificate.publicKey;
    if (keyObject.type === 'private') keyObject = createPublicKey(keyObject);
    const algorithms = algorithmsForKey(keyObject);
    if (algorithms.length === 0)
      throw new KeyInvalidError(`a ${describeKey(keyObject)} fits no supported algorithm`);
    const id = options.keyId ?? keyIdOf(keyObject);
    const existing = this.#entries.get(id);
    if (existing !== undefined && !existing.key.equals(keyObject)) {
      throw new KeyInvalidError(`key id ${id} is already in the ring for a different key`);
    }
    if (existing === undefined && this.#entries.size >= this.#keysMax) {
      throw new OtelAuditError('INVALID_ARGUMENT', `the key ring is full (keysMax ${this.#keysMax})`);
    }
    if (existing === undefined) this.#entries.set(id, { keyId: id, key: keyObject, algorithms });
    if (certificate !== undefined) this.#fingerprints.set(certificateFingerprint(certificate), id);
    return id;
  }

  remove(keyId: string): boolean {
    for (const [fingerprint, id] of this.#fingerprints)
      if (id === keyId) this.#fingerprints.delete(fingerprint);
    return this.#entries.delete(keyId);
  }

  has(keyId: string): boolean {
    return this.#entries.has(keyId);
  }

  /** The public key (or secret) with this id. */
  get(keyId: string): KeyObject | undefined {
    return this.#entries.get(keyId)?.key;
  }

  /** Key ids, oldest first. */
  keyIds(): string[] {
    return [...this.#entries.keys()];
  }

  /** The key id a certificate reference (`sha256:<hex>` or base64 DER) points to, if its certificate was added. */
  resolveCertificateRef(ref: string): string | undefined {
    const direct = this.#fingerprints.get(ref.toLowerCase());
    if (direct !== undefined) return direct;
    const der = decodeStandardBase64(ref);
    if (der === undefined || der.length === 0) return undefined;
    return this.#fingerprints.get('sha256:' + createHash('sha256').update(der).digest('hex'));
  }

  verify(input: KeyRingVerifyInput): KeyRingVerification {
    let candidates: Entry[];
    if (input.keyId !== undefined || input.certificateRef !== undefined) {
      const id = input.keyId ?? this.resolveCertificateRef(input.certificateRef as string);
      const entry = id === undefined ? undefined : this.#entries.get(id);
      if (entry === undefined) return { ok: false, reason: 'unknown-key' };
      candidates = entry.algorithms.includes(input.algorithm) ? [entry] : [];
    } else {
      candidates = [...this.#entries.values()]
        .reverse()
        .filter((e) => e.algorithms.includes(input.algorithm));
    }
    if (candidates.length === 0) return { ok: false, reason: 'no-key' };
    for (const entry of candidates) {
      if (verifyBytes(input.algorithm, entry.key, input.data, input.signature))
        return { ok: true, keyId: entry.keyId };
    }
    return { ok: false, reason: 'bad-signature' };
  }

  /** Like `verify`, but returns the key id or throws `SignatureInvalidError`. */
  verifyOrThrow(input: KeyRingVerifyInput): string {
    const result = this.verify(input);
    if (result.ok) return result.keyId;
    const named = input.keyId ?? input.certificateRef;
    const message =
      result.reason === 'bad-signature'
        ? `${input.algorithm} signature does not verify${named === undefined ? ' with any trusted key' : ` with key ${named}`}`
        : result.reason === 'unknown-key'
          ? `no trusted key ${named ?? ''}`
          : `no trusted key serves ${input.algorithm}`;
    throw new SignatureInvalidError(message, input.keyId);
  }
}
