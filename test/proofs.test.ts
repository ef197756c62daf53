/**
 * Inclusion and consistency proofs over a chained, signed WAL written by
 * the real Service: proofs are built from the WAL, copied to a directory
 * without it, and verified with the public key alone; every kind of
 * tampering with a proof is caught, and a WAL whose records no longer match
 * their signed root yields no proof.
 */
import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainSequencer, type CheckpointSigner } from '../src/integrity/chain/ChainSequencer.ts';
import { ChainState } from '../src/integrity/chain/ChainState.ts';
import { buildConsistencyProof, buildInclusionProof } from '../src/integrity/proof/generateProof.ts';
import { ProofInvalidError, ProofMalformedError } from '../src/integrity/proof/errors.ts';
import { formatProof, type ProofDocument } from '../src/integrity/proof/ProofDocument.ts';
import { sampleRecord, writeChainedWal } from '../src/integrity/proof/testutil/chainedWal.ts';
import { verifyProofDocument } from '../src/integrity/proof/verifyProof.ts';
import { WalLeafHashSource } from '../src/integrity/proof/WalLeafHashSource.ts';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { keyId } from '../src/integrity/sign/keyId.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { loadPrivateKey } from '../src/integrity/sign/loadKeys.ts';
import { signBytes } from '../src/integrity/sign/signBytes.ts';
import { decodeRecord, encodeRecord } from '../src/record/walCodec.ts';
import { FrameType } from '../src/wal/format.ts';
import { openWalReadOnly } from '../src/wal/readOnly.ts';
import { Wal } from '../src/wal/Wal.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';

const tmp = makeTempDir('otel-audit-proofs-');
afterAll(() => tmp.cleanup());
const keys = generateKeyPair('EdDSA');
const walDir = path.join(tmp.dir, 'wal');
const auditorDir = path.join(tmp.dir, 'auditor'); // no WAL here: only proofs and the public key
const STREAM = 'billing-proofs';
// Run 1: 13 records (checkpoints 4, 8, 12 and 13 at shutdown); run 2: 17 more (17, 21, 25, 29, 30).
const SIGNED_SIZES = [4, 8, 12, 13, 17, 21, 25, 29, 30];
let source: WalLeafHashSource;
/** WAL seq of each chain record, by leaf index. */
let seqs: number[] = [];

function trusted(publicKeyPem = keys.publicKeyPem): KeyRing {
  const ring = new KeyRing();
  ring.add(createPublicKey(publicKeyPem));
  return ring;
}

/** Writes the proof where the auditor works and verifies it from there. */
function auditorVerifies(name: string, proof: ProofDocument, ring = trusted()) {
  const file = path.join(auditorDir, name);
  writeFileSync(file, formatProof(proof));
  return verifyProofDocument(readFileSync(file), ring);
}

function inclusion(leafIndex: number, treeSize?: number) {
  return buildInclusionProof(source, {
    leafIndex,
    recordSeq: seqs[leafIndex] as number,
    ...(treeSize === undefined ? {} : { treeSize }),
  });
}

/** A deep, mutable copy of a proof (as an auditor's text editor would see it). */
function edit(proof: ProofDocument, change: (doc: Doc) => void): string {
  const doc = JSON.parse(formatProof(proof)) as Doc;
  change(doc);
  // Keep -0 as -0 (JSON.stringify would write 0, which is another record: see the -0 test).
  return JSON.stringify(doc, (_key, value: unknown) => (Object.is(value, -0) ? rawJSON('-0') : value));
}

function failure(text: string, ring = trusted()): string {
  const r = verifyProofDocument(text, ring);
  return r.ok ? 'VALID' : r.failure;
}

beforeAll(async () => {
  mkdirSync(auditorDir);
  const keyFile = path.join(tmp.dir, 'signing.pem');
  writeFileSync(keyFile, keys.privateKeyPem);
  await writeChainedWal({
    walDir,
    privateKeyFile: keyFile,
    streamId: STREAM,
    checkpointEveryRecords: 4,
    runs: [13, 17],
  });
  seqs = [...openWalReadOnly({ dir: walDir }).reader.records({ types: [FrameType.RECORD] })].map(
    (f) => f.seq,
  );
  source = WalLeafHashSource.load({ dir: walDir, locate: seqs.map((_, i) => i) });
});

describe('WalLeafHashSource', () => {
  it('reads every record of the stream as a leaf and finds the signed checkpoints by tree size', () => {
    expect(source.streamId).toBe(STREAM);
    expect(source.size).toBe(30);
    expect(source.damage).toBeUndefined();
    expect(source.modified).toBeUndefined();
    expect(source.checkpoints.map((c) => c.treeSize)).toEqual(SIGNED_SIZES);
    expect(source.checkpoints.every((c) => c.algorithm === 'EdDSA' && c.keyId === keys.keyId)).toBe(true);
    expect(seqs.map((_, i) => source.seqOf(i))).toEqual(seqs);
  });

  it('stops at the checkpoint asked for', () => {
    const partial = WalLeafHashSource.load({ dir: walDir, stopAfter: (c) => c.treeSize >= 12 });
    expect(partial.size).toBe(12);
    expect(partial.checkpoints.map((c) => c.treeSize)).toEqual([4, 8, 12]);
    expect(partial.get(11)).toEqual(source.get(11));
  });
});

describe('inclusion proofs', () => {
  it('prove records against the smallest covering checkpoint and against later ones; verify with the public key only', () => {
    for (const leafIndex of [0, 1, 3, 4, 11, 12, 13, 20, 28, 29]) {
      const smallest = SIGNED_SIZES.find((s) => s > leafIndex) as number;
      for (const treeSize of [undefined, 30, smallest]) {
        const { proof, checkpoint, record } = inclusion(leafIndex, treeSize);
        expect(checkpoint.treeSize).toBe(treeSize ?? smallest);
        const result = auditorVerifies(`inclusion-${leafIndex}-${treeSize ?? 'auto'}.json`, proof);
        expect(result).toMatchObject({ ok: true, type: 'inclusion', leafIndex, streamId: STREAM });
        if (!result.ok || result.type !== 'inclusion') continue;
        expect(result.treeSize).toBe(treeSize ?? smallest);
        expect(result.checkpoint.keyId).toBe(keys.keyId);
        // The auditor sees the very record that is in the WAL, integrity attributes included.
        expect(result.record).toEqual(record);
      }
    }
  });

  it('an embedded record with every AnyValue kind survives the OTLP/JSON round trip; -0 must stay -0', () => {
    const leafIndex = seqs.findIndex((_, i) => formatProof(inclusion(i).proof).includes('"doubleValue": -0'));
    expect(leafIndex).toBeGreaterThanOrEqual(0);
    const { proof } = inclusion(leafIndex);
    expect(auditorVerifies('negative-zero.json', proof).ok).toBe(true);
    // A tool that re-serializes the proof and turns -0 into 0 changes the record: the hash says so.
    expect(failure(JSON.stringify(JSON.parse(formatProof(proof))))).toBe('RECORD_MISMATCH');
  });

  it('are rejected when tampered with', () => {
    const { proof } = inclusion(5, 13);
    const other = inclusion(9, 30).proof;
    const cases: Array<[string, (doc: Doc) => void, string[]]> = [
      ['flip a path byte', (d) => (d.inclusion_path[0] = flipHex(d.inclusion_path[0])), ['ROOT_MISMATCH']],
      [
        'flip the last path byte',
        (d) => (d.inclusion_path[d.inclusion_path.length - 1] = flipHex(d.inclusion_path.at(-1))),
        ['ROOT_MISMATCH'],
      ],
      ['drop a path element', (d) => d.inclusion_path.pop(), ['PATH_TOO_SHORT']],
      ['add a path element', (d) => d.inclusion_path.push(d.inclusion_path[0]), ['PATH_TOO_LONG']],
      [
        'edit the record body',
        (d) => (logRecord(d).body.kvlistValue.values[2].value.stringValue = 'mallory'),
        ['RECORD_MISMATCH'],
      ],
      [
        'edit a record attribute',
        (d) => (logRecord(d).attributes[0].value.stringValue = 'u1'),
        ['RECORD_MISMATCH'],
      ],
      [
        'edit the resource',
        (d) => (d.record.resourceLogs[0].resource.attributes[0].value.stringValue = 'x'),
        ['RECORD_MISMATCH'],
      ],
      ['change record_hash', (d) => (d.record_hash = flipHex(d.record_hash)), ['RECORD_MISMATCH']],
      ['change leaf_hash', (d) => (d.leaf_hash = flipHex(d.leaf_hash)), ['RECORD_MISMATCH']],
      ['claim another leaf index', (d) => (d.leaf_index = 6), ['POSITION_MISMATCH']],
      ['claim another tree size', (d) => (d.tree_size = 30), ['SIZE_MISMATCH']],
      ['swap in another checkpoint', (d) => (d.checkpoint = other.checkpoint), ['SIZE_MISMATCH']],
      [
        'swap in another checkpoint and its size',
        (d) => {
          d.checkpoint = other.checkpoint;
          d.tree_size = other.tree_size;
        },
        ['ROOT_MISMATCH', 'PATH_TOO_SHORT', 'PATH_TOO_LONG'],
      ],
      [
        'edit the signed root',
        (d) => (d.checkpoint.checkpoint.root_hash = flipHex(d.checkpoint.checkpoint.root_hash)),
        ['BAD_SIGNATURE'],
      ],
      ['edit the signed time', (d) => (d.checkpoint.checkpoint.time_unix_nano = '1'), ['BAD_SIGNATURE']],
      [
        'edit the signature',
        (d) => (d.checkpoint.signature = flipBase64(d.checkpoint.signature)),
        ['BAD_SIGNATURE'],
      ],
      ['claim another stream', (d) => (d.stream_id = 'other'), ['STREAM_MISMATCH']],
      ['strip the signature', (d) => (d.checkpoint.algorithm = 'none'), ['UNSIGNED']],
    ];
    expect(failure(JSON.stringify(proof))).toBe('VALID');
    for (const [name, change, expected] of cases) {
      expect({ name, failure: failure(edit(proof, change)) }).toEqual({
        name,
        failure: expect.toBeOneOf(expected),
      });
    }
  });

  it('record hashes are recomputed: a record re-hashed after editing still fails the path', () => {
    const { proof } = inclusion(7, 8);
    const tampered = inclusion(6, 8).proof; // a genuine record, but not leaf 7
    const text = edit(proof, (d) => {
      d.record = tampered.record;
      d.record_hash = tampered.record_hash;
      d.leaf_hash = tampered.leaf_hash;
    });
    expect(failure(text)).toBe('POSITION_MISMATCH');
  });

  it('the last leaf of a tree must be the signed chain head', () => {
    expect(auditorVerifies('head.json', inclusion(12, 13).proof).ok).toBe(true);
  });
});

describe('consistency proofs', () => {
  it('prove every pair of signed checkpoints consistent; verify with the public key only', () => {
    for (const [i, first] of SIGNED_SIZES.entries()) {
      for (const second of SIGNED_SIZES.slice(i)) {
        const { proof } = buildConsistencyProof(source, { first, second });
        const result = auditorVerifies(`consistency-${first}-${second}.json`, proof);
        expect(result).toMatchObject({ ok: true, type: 'consistency', streamId: STREAM });
        if (result.ok && result.type === 'consistency') {
          expect([result.first.treeSize, result.second.treeSize]).toEqual([first, second]);
          expect(result.second.keyId).toBe(keys.keyId);
        }
      }
    }
  });

  it('are rejected when tampered with', () => {
    const proof = buildConsistencyProof(source, { first: 13, second: 29 }).proof;
    const other = buildConsistencyProof(source, { first: 12, second: 30 }).proof;
    const cases: Array<[string, (doc: Doc) => void, string[]]> = [
      [
        'flip a path byte',
        (d) => (d.consistency_path[1] = flipHex(d.consistency_path[1])),
        ['ROOT_MISMATCH'],
      ],
      ['drop a path element', (d) => d.consistency_path.pop(), ['PATH_TOO_SHORT']],
      ['add a path element', (d) => d.consistency_path.push(d.consistency_path[0]), ['PATH_TOO_LONG']],
      ['empty the path', (d) => (d.consistency_path = []), ['PATH_TOO_SHORT']],
      ['swap first and second', (d) => ([d.first, d.second] = [d.second, d.first]), ['SIZE_MISMATCH']],
      [
        'swap in another first checkpoint',
        (d) => (d.first = other.first),
        ['ROOT_MISMATCH', 'PATH_TOO_SHORT', 'PATH_TOO_LONG'],
      ],
      [
        'swap in another second checkpoint',
        (d) => (d.second = other.second),
        ['ROOT_MISMATCH', 'PATH_TOO_SHORT', 'PATH_TOO_LONG'],
      ],
      [
        'edit a signed root',
        (d) => (d.second.checkpoint.root_hash = flipHex(d.second.checkpoint.root_hash)),
        ['BAD_SIGNATURE'],
      ],
      ['edit a signed size', (d) => (d.first.checkpoint.tree_size = '12'), ['BAD_SIGNATURE']],
      ['claim another stream', (d) => (d.stream_id = 'other'), ['STREAM_MISMATCH']],
      ['strip a signature', (d) => (d.first.algorithm = 'none'), ['UNSIGNED']],
    ];
    expect(failure(JSON.stringify(proof))).toBe('VALID');
    for (const [name, change, expected] of cases) {
      expect({ name, failure: failure(edit(proof, change)) }).toEqual({
        name,
        failure: expect.toBeOneOf(expected),
      });
    }
  });
});

describe('keys', () => {
  it('a proof verified with the wrong key fails (unknown key id, or a key posing under the right id)', () => {
    const { proof } = inclusion(2);
    const text = JSON.stringify(proof);
    const stranger = generateKeyPair('EdDSA');
    expect(failure(text, trusted(stranger.publicKeyPem))).toBe('UNKNOWN_KEY');
    const impostor = new KeyRing();
    impostor.add(createPublicKey(stranger.publicKeyPem), { keyId: keys.keyId });
    expect(failure(text, impostor)).toBe('BAD_SIGNATURE');
    const both = trusted(stranger.publicKeyPem);
    both.add(createPublicKey(keys.publicKeyPem));
    expect(failure(text, both)).toBe('VALID');
  });

  it('ES256 and RS256 signed checkpoints prove the same way', async () => {
    for (const algorithm of ['ES256', 'RS256'] as const) {
      const pair = generateKeyPair(algorithm, { rsaModulusBits: 2048 });
      const dir = path.join(tmp.dir, `wal-${algorithm}`);
      const keyFile = path.join(tmp.dir, `${algorithm}.pem`);
      writeFileSync(keyFile, pair.privateKeyPem);
      await writeChainedWal({
        walDir: dir,
        privateKeyFile: keyFile,
        algorithm,
        streamId: 's',
        checkpointEveryRecords: 3,
        runs: [7],
      });
      const src = WalLeafHashSource.load({ dir, locate: [4] });
      const { proof } = buildInclusionProof(src, { leafIndex: 4, recordSeq: src.seqOf(4) as number });
      expect(failure(JSON.stringify(proof), trusted(pair.publicKeyPem))).toBe('VALID');
      const consistency = buildConsistencyProof(src, { first: 3, second: 7 }).proof;
      expect(failure(JSON.stringify(consistency), trusted(pair.publicKeyPem))).toBe('VALID');
    }
  });
});

describe('malformed proofs', () => {
  it('are typed errors naming the field', () => {
    const { proof } = inclusion(5);
    const consistency = buildConsistencyProof(source, { first: 4, second: 8 }).proof;
    const cases: Array<[string, string, string]> = [
      ['not JSON', '{"type": "inclusion",', ''],
      ['not an object', '[1, 2]', ''],
      ['unknown type', edit(proof, (d) => (d.type = 'exclusion')), 'type'],
      ['unknown version', edit(proof, (d) => (d.v = 2)), 'v'],
      ['missing path', edit(proof, (d) => delete d.inclusion_path), 'inclusion_path'],
      ['unknown field', edit(proof, (d) => (d.note = 'trust me')), 'note'],
      [
        'unknown checkpoint field',
        edit(proof, (d) => (d.checkpoint.checkpoint.extra = 1)),
        'checkpoint.checkpoint.extra',
      ],
      [
        'short path element',
        edit(proof, (d) => (d.inclusion_path[0] = d.inclusion_path[0].slice(2))),
        'inclusion_path[0]',
      ],
      ['uppercase hex', edit(proof, (d) => (d.record_hash = d.record_hash.toUpperCase())), 'record_hash'],
      ['negative index', edit(proof, (d) => (d.leaf_index = -1)), 'leaf_index'],
      ['fractional size', edit(proof, (d) => (d.tree_size = 8.5)), 'tree_size'],
      ['size as a string', edit(proof, (d) => (d.tree_size = '8')), 'tree_size'],
      ['two records', edit(proof, (d) => d.record.resourceLogs.push(d.record.resourceLogs[0])), 'record'],
      ['a bad record', edit(proof, (d) => (logRecord(d).traceId = 'xyz')), 'record'],
      ['a bad checkpoint', edit(proof, (d) => (d.checkpoint.checkpoint.tree_size = 8)), 'checkpoint'],
      [
        'consistency path not an array',
        edit(consistency, (d) => (d.consistency_path = 'abc')),
        'consistency_path',
      ],
      ['consistency without second', edit(consistency, (d) => delete d.second), 'second'],
    ];
    for (const [name, text, at] of cases) {
      let error: unknown;
      try {
        verifyProofDocument(text, trusted());
      } catch (e) {
        error = e;
      }
      expect({ name, error }).toEqual({ name, error: expect.any(ProofMalformedError) });
      expect({ name, path: (error as ProofMalformedError).path }).toEqual({ name, path: at });
      expect((error as ProofMalformedError).code).toBe('PROOF_MALFORMED');
    }
    expect(() => verifyProofDocument(Uint8Array.of(0xff, 0xfe), trusted())).toThrow(ProofMalformedError);
  });
});

describe('streams and damage', () => {
  it('several streams need a name; a gap in the chain numbers ends the leaves', async () => {
    const dir = path.join(tmp.dir, 'wal-two-streams');
    const a = new ChainState('a');
    const b = new ChainState('b');
    const records = Array.from({ length: 10 }, (_, i) => {
      const record = sampleRecord(i);
      (i % 2 === 0 ? a : b).link(record);
      return record;
    });
    const deleted = records.filter((_, i) => i !== 6); // record 4 of stream a is gone
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    await wal.appendBatch(deleted.map(encodeRecord));
    await wal.close();
    expect(() => WalLeafHashSource.load({ dir })).toThrow(/holds several streams \(a, b\): name one/);
    const streamB = WalLeafHashSource.load({ dir, streamId: 'b' });
    expect([streamB.size, streamB.damage]).toEqual([5, undefined]);
    const streamA = WalLeafHashSource.load({ dir, streamId: 'a' });
    expect(streamA.size).toBe(3);
    expect(streamA.damage).toBe('record at seq 8 has chain number 5 where 4 belongs');
  });
});

describe('a WAL whose records no longer match their signed root', () => {
  it('yields proofs only for checkpoints before the changed record', async () => {
    // A record changed after it was chained (as an attacker with write access would): its stored
    // content no longer hashes to what the chain and the signed checkpoints committed to.
    const dir = path.join(tmp.dir, 'wal-tampered');
    const privateKey = loadPrivateKey({ value: keys.privateKeyPem });
    const signer: CheckpointSigner = {
      algorithm: 'EdDSA',
      keyId: keyId(privateKey),
      sign: (data) => signBytes('EdDSA', privateKey, data),
    };
    let linked = 0;
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    wal.setSequencer(
      new ChainSequencer(
        {
          chain: new ChainState('t'),
          signer,
          checkpointEveryRecords: 4,
          checkpointEveryMs: 3_600_000,
          clock: () => 1_795_687_200_000_000_000n,
          afterLink: (record) => {
            if (++linked === 6) record.eventName = 'nothing.to.see';
          },
        },
        0,
      ),
    );
    const sequencer = (wal as unknown as { sequencer: ChainSequencer }).sequencer;
    await wal.appendDeferred(
      Array.from({ length: 12 }, (_, i) => sequencer.deferredRecord(sampleRecord(i), undefined, 1024)),
    );
    await wal.close();
    const src = WalLeafHashSource.load({ dir, locate: [1, 2] });
    expect(src.modified).toMatch(/record 6 .* no longer matches its audit.integrity.hash/);
    expect(
      failure(
        JSON.stringify(buildInclusionProof(src, { leafIndex: 1, recordSeq: src.seqOf(1) as number }).proof),
      ),
    ).toBe('VALID');
    expect(() =>
      buildInclusionProof(src, { leafIndex: 2, recordSeq: src.seqOf(2) as number, treeSize: 8 }),
    ).toThrow(ProofInvalidError);
    expect(() => buildConsistencyProof(src, { first: 4, second: 12 })).toThrow(
      /do not reproduce the Merkle root/,
    );
    const stored = [...openWalReadOnly({ dir }).reader.records({ types: [FrameType.RECORD] })].map((f) =>
      decodeRecord(f.payload),
    );
    expect(stored[5]?.eventName).toBe('nothing.to.see');
  });
});

/** A proof document as JSON, edited freely by the tampering cases. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

function logRecord(doc: Doc): Doc {
  return doc.record.resourceLogs[0].scopeLogs[0].logRecords[0];
}

function flipHex(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}

function flipBase64(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0] = (bytes[0] as number) ^ 1;
  return bytes.toString('base64');
}
