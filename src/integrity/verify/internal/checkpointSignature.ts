/**
 * What a checkpoint's signature says with the trusted keys: the one check of
 * a checkpoint that needs nothing before it in the WAL, so `verifyWalParallel`
 * has its workers do it (an Ed25519 verification is ~0.1-0.3 ms: ~0.4
 * main-thread CPU-µs per record at a checkpoint every 1,000 records) and the
 * main thread uses their answer. The keys reach a worker as `KeyEntry`s
 * (a KeyObject is cloned into a worker thread), rebuilt there into a ring
 * that verifies as the original does.
 */
import type { KeyObject } from 'node:crypto';
import { checkpointSignedBytes, type SignedCheckpoint } from '../../chain/checkpoint.ts';
import { isSignatureAlgorithm } from '../../sign/algorithms.ts';
import { KeyRing } from '../../sign/KeyRing.ts';

/** `unchecked`: signed, but no keys were given; `unsigned`: not signed although keys were given. */
export type CheckpointSignature = 'trusted' | 'unchecked' | 'unsigned' | 'unknown-key' | 'forged';

export function checkpointSignature(cp: SignedCheckpoint, keys: KeyRing | undefined): CheckpointSignature {
  if (cp.algorithm === 'none') return keys ? 'unsigned' : 'unchecked';
  if (!keys) return 'unchecked';
  if (!isSignatureAlgorithm(cp.algorithm)) return 'forged';
  const r = keys.verify({
    algorithm: cp.algorithm,
    data: checkpointSignedBytes(cp.checkpoint),
    signature: cp.signature,
    keyId: cp.keyId,
  });
  return r.ok ? 'trusted' : r.reason === 'bad-signature' ? 'forged' : 'unknown-key';
}

/** One trusted key as a worker thread is sent it. */
export interface KeyEntry {
  readonly keyId: string;
  readonly key: KeyObject;
}

/** The keys of `ring`, oldest first (the order `KeyRing.verify` tries them in, newest first, is kept). */
export function keyEntries(ring: KeyRing): KeyEntry[] {
  return ring.keyIds().flatMap((keyId) => {
    const key = ring.get(keyId);
    return key === undefined ? [] : [{ keyId, key }];
  });
}

/** A ring of `entries` under their own ids; undefined without any (as verify treats an empty ring). */
export function keyRingOf(entries: readonly KeyEntry[]): KeyRing | undefined {
  if (entries.length === 0) return undefined;
  const ring = new KeyRing({ keysMax: entries.length });
  for (const e of entries) ring.add(e.key, { keyId: e.keyId });
  return ring;
}
