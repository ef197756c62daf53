/**
 * A named test for each kind of tampering: a chained WAL with signed
 * checkpoints is written through the real Service (audit_chain every 5
 * records, audit_sign EdDSA), then its files are changed the way someone
 * with write access to the disk would — keeping every frame CRC, footer and
 * trailer valid (test/helpers/walTamper.ts) unless the case is bit rot — and
 * `verifyWal` (and `otel-audit verify`) must name the first bad record and
 * the kind of damage. Every test asserts a finding, so a verifier that
 * checked nothing would fail all of them.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/resolve.ts';
import { ChainState } from '../src/integrity/chain/ChainState.ts';
import {
  checkpointSignedBytes,
  decodeSignedCheckpoint,
  encodeSignedCheckpoint,
  type SignedCheckpoint,
} from '../src/integrity/chain/checkpoint.ts';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { signBytes } from '../src/integrity/sign/signBytes.ts';
import type { VerifyReport } from '../src/integrity/verify/VerifyReport.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { runCli } from '../src/cli/testutil/runCli.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { Service } from '../src/pipeline/Service.ts';
import { createAuditRecord, type AuditRecord } from '../src/record/AuditRecord.ts';
import { decodeRecord, encodeRecord } from '../src/record/walCodec.ts';
import { FrameType } from '../src/wal/format.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { quietLogger } from './helpers/startService.ts';
import {
  flipPayloadBit,
  framePayload,
  readFrames,
  resealFrame,
  writeFrames,
  type Frame,
} from './helpers/walTamper.ts';

const RECORDS = 30;
const EVERY = 5;
const STREAM = 'payments-1';
const tmp = makeTempDir('otel-audit-tamper-');
const owner = generateKeyPair('EdDSA');
const attacker = generateKeyPair('EdDSA');
const keyFile = path.join(tmp.dir, 'owner.key.pem');
const pubFile = path.join(tmp.dir, 'owner.pub.pem');
writeFileSync(keyFile, owner.privateKeyPem);
writeFileSync(pubFile, owner.publicKeyPem);
const original = path.join(tmp.dir, 'original');
const publishedDir = `${original}-published`;
let frames: Frame[] = [];
let cases = 0;

afterAll(() => tmp.cleanup());

beforeAll(async () => {
  const registry = createFactoryRegistry();
  const config = resolveConfig(
    [
      {
        kind: 'yaml',
        text: `
receivers: { audit_sdk: }
processors:
  audit_chain: { stream_id: ${STREAM}, checkpoint_every_records: ${EVERY} }
  audit_sign:
    key_source: { type: file, file: { private_key: ${keyFile} } }
    publish_dir: ${publishedDir}
exporters:
  audit_wal: { directory: ${original} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [audit_chain, audit_sign], exporters: [audit_wal] }
`,
      },
    ],
    { catalog: registry.catalog },
  );
  const service = Service.build({ config, registry, logger: quietLogger });
  await service.start();
  const pipeline = service.pipelines.get('logs');
  // One at a time, so chain number i + 1 is record i and the WAL order is known.
  for (let i = 0; i < RECORDS; i++) {
    await pipeline?.consumeLogs({
      records: [
        createAuditRecord({
          timeUnixNano: 1_800_000_000_000_000_000n + BigInt(i),
          eventName: 'payment.approved',
          body: `payment ${i} approved by user u${i % 7}`,
          attributes: [
            { key: 'user.id', value: `u${i % 7}` },
            { key: 'amount', value: BigInt(100 + i) },
          ],
        }),
      ],
    });
  }
  await service.shutdown();
  frames = readFrames(original);
});

function ring(): KeyRing {
  const r = new KeyRing();
  r.add(createPublicKey(owner.publicKeyPem));
  return r;
}

/** Writes `edited` as a fresh WAL and verifies it with the owner's public key. */
async function tampered(
  edited: readonly Frame[],
  published = false,
): Promise<{ dir: string; report: VerifyReport }> {
  const dir = path.join(tmp.dir, `case-${++cases}`);
  await writeFrames(dir, edited);
  return { dir, report: verifyWal({ dir, keys: ring(), ...(published ? { publishedDir } : {}) }) };
}

function copyOriginal(): string {
  const dir = path.join(tmp.dir, `case-${++cases}`);
  cpSync(original, dir, { recursive: true });
  return dir;
}

const isRecord = (f: Frame): boolean => f.type === FrameType.RECORD;
const chainNumber = (r: AuditRecord): bigint =>
  r.attributes.find((kv) => kv.key === 'audit.sequence.number')?.value as bigint;

/** Index in `list` of the record with chain number `n` (its WAL seq is index + 1 in a rewritten WAL). */
function indexOf(list: readonly Frame[], n: number): number {
  const i = list.findIndex((f) => isRecord(f) && chainNumber(decodeRecord(f.payload)) === BigInt(n));
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

/** Index of the checkpoint frame for tree size `size`. */
function checkpointIndex(list: readonly Frame[], size: number): number {
  const i = list.findIndex(
    (f) => f.type === FrameType.CHECKPOINT && decodeSignedCheckpoint(f.payload).checkpoint.treeSize === size,
  );
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

function editRecord(list: readonly Frame[], n: number, edit: (r: AuditRecord) => void): Frame[] {
  const out = [...list];
  const i = indexOf(out, n);
  const f = out[i] as Frame;
  const record = decodeRecord(f.payload);
  edit(record);
  out[i] = { ...f, payload: encodeRecord(record) };
  return out;
}

function setAttr(r: AuditRecord, key: string, value: AuditRecord['attributes'][number]['value']): void {
  r.attributes = r.attributes.map((kv) => (kv.key === key ? { key, value } : kv));
}

function resign(
  cp: SignedCheckpoint,
  key: { privateKeyPem: string; keyId: string },
  keyId = key.keyId,
): SignedCheckpoint {
  return {
    ...cp,
    keyId,
    signature: signBytes('EdDSA', createPrivateKey(key.privateKeyPem), checkpointSignedBytes(cp.checkpoint)),
  };
}

/** `expect` that the first (and, unless `more`, only) issue is `kind` at WAL seq `seq` for chain number `n`. */
function expectFirst(report: VerifyReport, kind: string, seq: number, n: number, more = false): void {
  expect(report.ok).toBe(false);
  expect(report.firstIssue).toMatchObject({ kind, seq, chainNumber: n, streamId: STREAM });
  if (!more) expect(report.issues.map((i) => i.kind)).toEqual([kind]);
}

describe('tamper evidence: verify names the first bad record and the kind of damage', () => {
  it('the untouched WAL, and the same frames rewritten by the helper, verify as intact', async () => {
    expect(frames.filter(isRecord)).toHaveLength(RECORDS);
    expect(frames.filter((f) => f.type === FrameType.CHECKPOINT)).toHaveLength(RECORDS / EVERY);
    const direct = verifyWal({ dir: original, keys: ring(), publishedDir });
    expect(direct.issues).toEqual([]);
    expect(direct.ok).toBe(true);
    const { report } = await tampered(frames, true);
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.streams).toEqual([
      expect.objectContaining({ streamId: STREAM, records: RECORDS, signedCheckpoints: RECORDS / EVERY }),
    ]);
  });

  it('(a) a flipped bit in a record body without a fixed CRC is bit rot, at that record', async () => {
    const dir = copyOriginal();
    const seq = indexOf(frames, 12) + 1;
    const at = framePayload(dir, seq).indexOf('payment 11 approved');
    expect(at).toBeGreaterThan(0);
    flipPayloadBit(dir, seq, at + 3);
    const report = verifyWal({ dir, keys: ring() });
    expect(report.ok).toBe(false);
    expect(report.firstIssue).toMatchObject({ kind: 'bit-rot', seq });
    // The chain misses the record the damaged frame held, and says where it went.
    expect(report.issues[1]).toMatchObject({ kind: 'deletion', chainNumber: 12 });
    expect(report.issues[1]?.message).toContain(`lost with the damaged frames at WAL seq ${seq}..${seq}`);
    const cli = await runCli(['verify', '--wal', dir, '--public-key', pubFile]);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toMatch(new RegExp(`FIRST BAD RECORD: WAL seq ${seq}\\b.*: bit-rot`));
  });

  it('(a) a flipped bit in a record body, re-encoded with a valid CRC, is a modified record', async () => {
    const dir = copyOriginal();
    const seq = indexOf(frames, 12) + 1;
    resealFrame(dir, seq, (payload) => {
      const record = decodeRecord(payload);
      const body = record.body as string;
      record.body = body.slice(0, 3) + String.fromCharCode(body.charCodeAt(3) ^ 1) + body.slice(4);
      return encodeRecord(record);
    });
    expect(decodeRecord(framePayload(dir, seq)).body).toBe('paylent 11 approved by user u4');
    const report = verifyWal({ dir, keys: ring() });
    expectFirst(report, 'modified', seq, 12);
    const cli = await runCli(['verify', '--wal', dir, '--public-key', pubFile, '--json']);
    expect(cli.code).toBe(3);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      ok: false,
      firstIssue: { kind: 'modified', seq, chainNumber: 12 },
    });
  });

  it('(b) a changed attribute value is a modified record', async () => {
    const edited = editRecord(frames, 17, (r) => setAttr(r, 'amount', 1_000_000n));
    const { report } = await tampered(edited);
    expectFirst(report, 'modified', indexOf(edited, 17) + 1, 17);
  });

  it('(c) a deleted record is a deletion, named where it is missing', async () => {
    const edited = frames.filter((_, i) => i !== indexOf(frames, 12));
    const { report } = await tampered(edited);
    // Named at the record that follows the hole (WAL seq of record 13), as chain number 12.
    expectFirst(report, 'deletion', indexOf(edited, 13) + 1, 12);
    expect(report.firstIssue?.message).toMatch(
      /record 12 is missing from stream payments-1 before record 13/,
    );
  });

  it('(d) an inserted record, even correctly linked and hashed, is an insertion at the inserted record', async () => {
    // The forger builds "record 12" from record 11's hash, as the chain would: only one can be record 12.
    const at = indexOf(frames, 12);
    const r11 = decodeRecord((frames[indexOf(frames, 11)] as Frame).payload);
    const head = Buffer.from(
      r11.attributes.find((kv) => kv.key === 'audit.integrity.hash')?.value as string,
      'hex',
    );
    const chain = new ChainState(STREAM, { count: 11, head, tree: { size: 0, frontier: [] } });
    const forged = createAuditRecord({
      eventName: 'payment.approved',
      body: 'payment 99 approved by user u0',
    });
    chain.link(forged);
    const edited = [...frames];
    edited.splice(at, 0, { type: FrameType.RECORD, timeUnixNano: 1n, payload: encodeRecord(forged) });
    const { report } = await tampered(edited);
    expectFirst(report, 'insertion', at + 1, 12);
    expect(report.firstIssue?.message).toMatch(/appears twice .* was inserted/);
  });

  it('(d) a replayed copy of an earlier record is an insertion', async () => {
    const edited = [...frames];
    const at = indexOf(frames, 20) + 1;
    edited.splice(at, 0, frames[indexOf(frames, 3)] as Frame);
    const { report } = await tampered(edited);
    expectFirst(report, 'insertion', at + 1, 3);
  });

  it('(d) a record without chain attributes slipped into the chained log is an insertion', async () => {
    const at = indexOf(frames, 8) + 1;
    const edited = [...frames];
    const plain = createAuditRecord({
      eventName: 'payment.approved',
      body: 'payment 99 approved by user u0',
    });
    edited.splice(at, 0, { type: FrameType.RECORD, timeUnixNano: 1n, payload: encodeRecord(plain) });
    const { report } = await tampered(edited);
    expect(report.firstIssue).toMatchObject({ kind: 'insertion', seq: at + 1, chainNumber: undefined });
    expect(report.issues).toHaveLength(1);
  });

  it('(c) several deleted records are one deletion naming the range', async () => {
    const edited = frames.filter(
      (f) => !isRecord(f) || !/^payment (6|7) /.test(String(decodeRecord(f.payload).body)),
    );
    const { report } = await tampered(edited);
    expectFirst(report, 'deletion', indexOf(edited, 9) + 1, 7);
    expect(report.firstIssue?.message).toMatch(/records 7\.\.8 are missing/);
  });

  it('(e) two swapped records are a reorder, named at the first one out of place', async () => {
    const i = indexOf(frames, 12);
    const edited = [...frames];
    [edited[i], edited[i + 1]] = [frames[i + 1] as Frame, frames[i] as Frame];
    const { report } = await tampered(edited);
    expectFirst(report, 'reorder', i + 1, 13, true);
    expect(report.issues.every((x) => x.kind === 'reorder' || x.kind === 'broken-link')).toBe(true);
  });

  it('(f) records cut before a checkpoint that covers them are a truncation', async () => {
    const cp = checkpointIndex(frames, 20);
    const edited = frames.filter((_, i) => i < indexOf(frames, 18) || i >= cp);
    const { report } = await tampered(edited);
    expectFirst(report, 'truncation', checkpointIndex(edited, 20) + 1, 18);
  });

  it('(f) a tail cut after a checkpoint is caught only against the published checkpoints', async () => {
    const edited = frames.slice(0, checkpointIndex(frames, 25) + 1);
    const { dir, report } = await tampered(edited);
    // Nothing left in the WAL says there was more: the limit docs/integrity.md states.
    expect(report.ok).toBe(true);
    const withPublished = verifyWal({ dir, keys: ring(), publishedDir });
    expect(withPublished.ok).toBe(false);
    expect(withPublished.firstIssue).toMatchObject({ kind: 'truncation', chainNumber: 26, streamId: STREAM });
    expect(withPublished.firstIssue?.message).toMatch(/records 26\.\.30 were cut/);
    const cli = await runCli(['verify', '--wal', dir, '--public-key', pubFile, '--published', publishedDir]);
    expect(cli.code).toBe(3);
  });

  it('(g) a checkpoint signed by a key that is not trusted is unknown-key', async () => {
    const i = checkpointIndex(frames, 15);
    const edited = [...frames];
    const cp = decodeSignedCheckpoint((frames[i] as Frame).payload);
    edited[i] = { ...(frames[i] as Frame), payload: encodeSignedCheckpoint(resign(cp, attacker)) };
    const { report } = await tampered(edited);
    expectFirst(report, 'unknown-key', i + 1, 15);
    expect(report.firstIssue?.message).toContain(attacker.keyId);
  });

  it('(h) a checkpoint whose root does not match the records is root-mismatch', async () => {
    const i = checkpointIndex(frames, 15);
    const edited = [...frames];
    const cp = decodeSignedCheckpoint((frames[i] as Frame).payload);
    const rootHash = Uint8Array.from(cp.checkpoint.rootHash);
    rootHash[0] = (rootHash[0] ?? 0) ^ 0x80;
    // Signed by the owner's own key (a faulty writer): only the root is wrong.
    const bad = resign({ ...cp, checkpoint: { ...cp.checkpoint, rootHash } }, owner);
    edited[i] = { ...(frames[i] as Frame), payload: encodeSignedCheckpoint(bad) };
    const { report } = await tampered(edited);
    expectFirst(report, 'root-mismatch', i + 1, 15);
  });

  describe('(i) an attacker without the key rewrites record 12 and recomputes every later hash, link and root', () => {
    /** Re-chains everything, as the attacker can: `sign` decides what happens to each checkpoint's signature. */
    function rewrite(sign: (cp: SignedCheckpoint, original: SignedCheckpoint) => SignedCheckpoint): Frame[] {
      const chain = new ChainState(STREAM);
      return frames.map((f) => {
        if (f.type === FrameType.RECORD) {
          const record = decodeRecord(f.payload);
          if (chainNumber(record) === 12n) setAttr(record, 'amount', 1n);
          chain.link(record);
          return { ...f, payload: encodeRecord(record) };
        }
        const cp = decodeSignedCheckpoint(f.payload);
        const rebuilt: SignedCheckpoint = {
          ...cp,
          checkpoint: {
            ...cp.checkpoint,
            treeSize: chain.size,
            rootHash: chain.root(),
            chainHead: chain.head,
          },
          frontier: chain.frontier(),
        };
        return { ...f, payload: encodeSignedCheckpoint(sign(rebuilt, cp)) };
      });
    }

    function expectOnlySignatures(report: VerifyReport, kind: string, edited: readonly Frame[]): void {
      const cp15 = checkpointIndex(edited, 15) + 1;
      expectFirst(report, kind, cp15, 15, true);
      // Records, links and roots are all consistent: nothing but the signatures catches it.
      expect(new Set(report.issues.map((x) => x.kind))).toEqual(new Set([kind]));
      expect(report.issues.map((x) => x.chainNumber)).toEqual([15, 20, 25, 30]);
      expect(report.firstIssue?.message).toMatch(/records 11\.\.15 are not covered by a trusted signature/);
    }

    it('re-signed with the attacker’s own key: unknown-key from the first checkpoint after the change', async () => {
      const edited = rewrite((cp, old) => (old.checkpoint.treeSize < 12 ? old : resign(cp, attacker)));
      const { dir, report } = await tampered(edited);
      expectOnlySignatures(report, 'unknown-key', edited);
      const cli = await runCli(['verify', '--wal', dir, '--public-key', pubFile]);
      expect(cli.code).toBe(3);
      expect(cli.stdout).toContain(
        `FIRST BAD RECORD: WAL seq ${checkpointIndex(edited, 15) + 1}, stream ${STREAM}, record 15: unknown-key`,
      );
      expect(cli.stdout).toMatch(/records 11\.\.15 are not covered by a trusted signature/);
    });

    it('re-signed with the attacker’s key under the owner’s key id: forged-signature', async () => {
      const edited = rewrite((cp, old) =>
        old.checkpoint.treeSize < 12 ? old : resign(cp, attacker, owner.keyId),
      );
      expectOnlySignatures((await tampered(edited)).report, 'forged-signature', edited);
    });

    it('keeping the old signatures: forged-signature', async () => {
      const edited = rewrite((cp, old) => ({ ...cp, signature: old.signature }));
      expectOnlySignatures((await tampered(edited)).report, 'forged-signature', edited);
    });

    it('and the published checkpoints show which records were rewritten', async () => {
      const edited = rewrite((cp, old) => (old.checkpoint.treeSize < 12 ? old : resign(cp, attacker)));
      const { dir } = await tampered(edited);
      const report = verifyWal({ dir, keys: ring(), publishedDir });
      expect(report.issues.filter((x) => x.kind === 'root-mismatch').map((x) => x.chainNumber)).toEqual([
        15, 20, 25, 30,
      ]);
    });
  });
});
