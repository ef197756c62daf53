/**
 * verifyWalParallel has its workers check checkpoint signatures (with the
 * trusted keys cloned into each): the main thread checks none itself, and
 * the report is verifyWal's whatever the signature says — trusted, signed by
 * a key not trusted, not verifying with the trusted key of that id, unsigned
 * although keys were given, or signed without keys to check it.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { generateKeyPair } from '../sign/generateKeyPair.ts';
import { keyId } from '../sign/keyId.ts';
import { KeyRing } from '../sign/KeyRing.ts';
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

function ringOf(pem: string, id?: string): KeyRing {
  const ring = new KeyRing();
  ring.add(createPublicKey(pem), id === undefined ? {} : { keyId: id });
  return ring;
}

/**
 * Counts the signatures the KeyRings of THIS thread are asked to verify while `run` runs (a worker's
 * rings are its own). A spy, not a subclass: verifyWalParallel applies a KeyRing subclass (its own
 * verify) in the main thread, as given (recordSignatureParity.test.ts).
 */
async function verifiedHere(run: () => unknown): Promise<number> {
  const verify = vi.spyOn(KeyRing.prototype, 'verify');
  try {
    await run();
    return verify.mock.calls.length;
  } finally {
    verify.mockRestore();
  }
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

/** verifyWalParallel's report is verifyWal's; returns the signatures the main thread checked. */
async function parallelAsSerial(o: VerifyOptions): Promise<number> {
  const expected = verifyWal(o);
  return verifiedHere(async () =>
    expect(await verifyWalParallel({ ...o, workers: 2, batchRecords: 3 })).toEqual(expected),
  );
}

describe('checkpoint signatures checked in verify workers', () => {
  it('trusted: the same report, and the main thread verifies no checkpoint signature', async () => {
    const keys = ringOf(signer.publicKeyPem);
    expect(
      await verifiedHere(() => expect(verifyWal({ dir: signed, keys })).toMatchObject({ ok: true })),
    ).toBe(
      8, // verifyWal: each checkpoint, in this thread
    );
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
