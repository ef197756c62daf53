/**
 * verifyWalParallel has its workers check checkpoint signatures (with the
 * trusted keys cloned into each): the main thread checks none itself, and
 * the report is verifyWal's whatever the signature says — trusted, signed by
 * a key not trusted, not verifying with the trusted key of that id, unsigned
 * although keys were given, or signed without keys to check it.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { generateKeyPair } from '../sign/generateKeyPair.ts';
import { keyId } from '../sign/keyId.ts';
import { KeyRing, type KeyRingVerification, type KeyRingVerifyInput } from '../sign/KeyRing.ts';
import { signBytes } from '../sign/signBytes.ts';
import { writeStream, writeUnsignedStream } from './testutil/unsignedStream.ts';
import { verifyWal, type VerifyOptions } from './verifyWal.ts';
import { verifyWalParallel } from './verifyWalParallel.ts';

const tmp = makeTempDir('otel-audit-checkpoint-signature-');
afterAll(() => tmp.cleanup());
const signer = generateKeyPair('EdDSA');
const other = generateKeyPair('EdDSA');
const signerKeyId = keyId(createPrivateKey(signer.privateKeyPem));
const signed = path.join(tmp.dir, 'signed');
const unsigned = path.join(tmp.dir, 'unsigned');

/** A KeyRing that counts the signatures it is asked to verify (in the thread it was made in). */
class CountingRing extends KeyRing {
  verified = 0;

  override verify(input: KeyRingVerifyInput): KeyRingVerification {
    this.verified++;
    return super.verify(input);
  }
}

function ringOf(pem: string, id?: string): CountingRing {
  const ring = new CountingRing();
  ring.add(createPublicKey(pem), id === undefined ? {} : { keyId: id });
  return ring;
}

/** 30 records with an Ed25519-signed checkpoint every 4. */
beforeAll(async () => {
  const key = createPrivateKey(signer.privateKeyPem);
  await writeStream(signed, 's', 30, {
    signer: { algorithm: 'EdDSA', keyId: signerKeyId, sign: (d) => signBytes('EdDSA', key, d) },
    checkpointEveryRecords: 4,
  });
  await writeUnsignedStream(unsigned, 'u', 10);
});

/** verifyWalParallel's report is verifyWal's; returns it and the signatures the main thread checked. */
async function parallelAsSerial(o: VerifyOptions & { keys?: CountingRing }): Promise<number | undefined> {
  const expected = verifyWal(o);
  const before = o.keys?.verified;
  expect(await verifyWalParallel({ ...o, workers: 2, batchRecords: 3 })).toEqual(expected);
  return o.keys === undefined ? undefined : o.keys.verified - (before ?? 0);
}

describe('checkpoint signatures checked in verify workers', () => {
  it('trusted: the same report, and the main thread verifies no checkpoint signature', async () => {
    const keys = ringOf(signer.publicKeyPem);
    expect(verifyWal({ dir: signed, keys })).toMatchObject({ ok: true });
    expect(keys.verified).toBe(8); // verifyWal: each checkpoint, in this thread
    expect(await parallelAsSerial({ dir: signed, keys })).toBe(0);
  });

  it('signed by a key not trusted: the same unknown-key report', async () => {
    const keys = ringOf(other.publicKeyPem);
    expect(verifyWal({ dir: signed, keys }).firstIssue?.kind).toBe('unknown-key');
    expect(await parallelAsSerial({ dir: signed, keys })).toBe(0);
  });

  it('not verifying with the trusted key of its id: the same forged-signature report', async () => {
    const keys = ringOf(other.publicKeyPem, signerKeyId);
    expect(verifyWal({ dir: signed, keys }).firstIssue?.kind).toBe('forged-signature');
    expect(await parallelAsSerial({ dir: signed, keys })).toBe(0);
  });

  it('unsigned although keys are given, and signed without keys: the same reports', async () => {
    const keys = ringOf(signer.publicKeyPem);
    expect(verifyWal({ dir: unsigned, keys }).firstIssue?.kind).toBe('unsigned');
    expect(await parallelAsSerial({ dir: unsigned, keys })).toBe(0);
    expect(verifyWal({ dir: signed }).warnings).toContain(
      'signatures were not checked: no trusted public key given (--public-key)',
    );
    await parallelAsSerial({ dir: signed });
  });
});
