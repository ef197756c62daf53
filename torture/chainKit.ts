/**
 * What a chained torture WAL needs: a fixed Ed25519 key (deterministic, so a
 * seed reproduces the same bytes; test-only, never a secret), the checkpoint
 * signer, the key ring `verifyWal` checks with, and record factories whose
 * content is unique per append (the attempt number is in the body).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { CheckpointSigner } from '../src/integrity/chain/ChainSequencer.ts';
import { keyId } from '../src/integrity/sign/keyId.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { signBytes } from '../src/integrity/sign/signBytes.ts';
import { createAuditRecord, type AuditRecord } from '../src/record/AuditRecord.ts';
import type { Prng } from './prng.ts';

export const TORTURE_STREAM_ID = 'torture-1';

/** PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const KEY_SEED = Buffer.alloc(32, 0x5a);

let cached: { signer: CheckpointSigner; publicKey: KeyObject } | undefined;

function material(): { signer: CheckpointSigner; publicKey: KeyObject } {
  if (cached) return cached;
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, KEY_SEED]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  const id = keyId(publicKey);
  cached = {
    publicKey,
    signer: { algorithm: 'EdDSA', keyId: id, sign: (data) => signBytes('EdDSA', privateKey, data) },
  };
  return cached;
}

export function tortureSigner(): CheckpointSigner {
  return material().signer;
}

export function tortureKeyRing(): KeyRing {
  const ring = new KeyRing();
  ring.add(material().publicKey);
  return ring;
}

const SEVERITIES = [5, 9, 13, 17] as const;

/** An audit record for append #`order`, of varied size and shape. */
export function tortureRecord(order: number, rng: Prng): AuditRecord {
  const fillerBytes = rng.int(0, 600);
  return createAuditRecord({
    severityNumber: rng.pick(SEVERITIES),
    eventName: 'torture.append',
    body: `append #${order}`,
    attributes: [
      { key: 'torture.order', value: BigInt(order) },
      { key: 'torture.filler', value: 'x'.repeat(fillerBytes) },
    ],
  });
}

/** A raw (unchained) payload for append #`order`: unique bytes of varied length. */
export function torturePayload(order: number, rng: Prng): Uint8Array {
  const len = 32 + rng.int(0, 900);
  const b = Buffer.alloc(len, order % 251);
  b.write(`torture:${order}:`, 0, 'latin1');
  for (let i = 32; i < len; i += 97) b[i] = rng.u32() & 0xff;
  return b;
}
