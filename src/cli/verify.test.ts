import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChainSequencer, type CheckpointSigner } from '../integrity/chain/ChainSequencer.ts';
import { ChainState } from '../integrity/chain/ChainState.ts';
import { generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import { keyId } from '../integrity/sign/keyId.ts';
import { signBytes } from '../integrity/sign/signBytes.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { decodeRecord, encodeRecord } from '../record/walCodec.ts';
import { FrameType } from '../wal/format.ts';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { Wal } from '../wal/Wal.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';
import { hostileRecordPayload } from '../integrity/verify/testutil/hostilePayload.ts';
import { runCli, writeWal } from './testutil/runCli.ts';
import { DAMAGE_KIND_HELP } from './commands/verify.ts';

const VECTORS = new URL('../../testdata/integrity/vectors/', import.meta.url);
const tempDir = tempDirsRemovedAfterEach('otel-audit-verify-');

function signer(privateKeyPem: string): CheckpointSigner {
  const key = createPrivateKey(privateKeyPem);
  return { algorithm: 'EdDSA', keyId: keyId(key), sign: (data) => signBytes('EdDSA', key, data) };
}

/** Appends `count` chained records to the WAL in `dir` (continuing its chain), a checkpoint every `every`, one at the end. */
async function writeChained(
  dir: string,
  o: { count: number; every: number; sign: CheckpointSigner; from?: ChainState },
): Promise<ChainState> {
  const chain = o.from ?? new ChainState('orders');
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    { chain, signer: o.sign, checkpointEveryRecords: o.every, checkpointEveryMs: 3_600_000, clock: () => 1n },
    chain.size,
  );
  wal.setSequencer(sequencer);
  const start = chain.size;
  await wal.appendDeferred(
    Array.from({ length: o.count }, (_, i) =>
      sequencer.deferredRecord(
        createAuditRecord({
          body: `order ${start + i}`,
          attributes: [{ key: 'n', value: BigInt(start + i) }],
        }),
        BigInt(start + i + 1),
        256,
      ),
    ),
  );
  if (sequencer.pending > 0) await wal.appendDeferred([sequencer.deferredCheckpoint()]);
  await wal.close();
  return chain;
}

/** A key pair written by `otel-audit keys generate`: [private key file, public key file]. */
async function generatedKeys(dir: string): Promise<{ key: string; pub: string; id: string }> {
  const r = await runCli(['keys', 'generate', '--out', dir]);
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  const stem = path.join(dir, id.replace(':', '-'));
  return { key: `${stem}.key.pem`, pub: `${stem}.pub.pem`, id };
}

describe('otel-audit verify', () => {
  it('an intact chained WAL: a summary per stream, "result: intact", exit 0', async () => {
    const dir = tempDir();
    const keys = await generatedKeys(path.join(dir, 'keys'));
    const wal = path.join(dir, 'wal');
    const chain = await writeChained(wal, {
      count: 23,
      every: 10,
      sign: signer(fs.readFileSync(keys.key, 'utf8')),
    });
    const r = await runCli(['verify', '--wal', 'wal', '--public-key', keys.pub], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('26 frames, 23 records (0 unchained); 1 trusted key');
    expect(r.stdout).toMatch(/^stream orders$/m);
    expect(r.stdout).toMatch(/^ {2}records +1\.\.23 \(checkpoints 3, signed 3, last at 23\)$/m);
    expect(r.stdout).toContain(`root         ${Buffer.from(chain.root()).toString('hex')}`);
    expect(r.stdout).toContain(`head         ${Buffer.from(chain.head ?? []).toString('hex')}`);
    expect(r.stdout).not.toContain('FIRST BAD RECORD');
    expect(r.stdout).toMatch(/result: intact\n$/);
  });

  it('--json prints one JSON document with the report and the trusted key ids', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    fs.writeFileSync(path.join(dir, 'pub.pem'), pair.publicKeyPem);
    await writeChained(dir, { count: 5, every: 5, sign: signer(pair.privateKeyPem) });
    const r = await runCli(['verify', '--wal', dir, '--public-key', path.join(dir, 'pub.pem'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      wal: dir,
      trustedKeys: [pair.keyId],
      ok: true,
      records: 5,
      streams: [{ streamId: 'orders', records: 5, checkpoints: 1, signedCheckpoints: 1 }],
      issues: [],
    });
  });

  it('damage: names the first bad record and its kind, lists the issues, exit 3', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    const pub = path.join(dir, 'pub.pem');
    fs.writeFileSync(pub, pair.publicKeyPem);
    const wal = path.join(dir, 'wal');
    await writeChained(wal, { count: 12, every: 4, sign: signer(pair.privateKeyPem) });
    // Re-write the WAL with record 6's attribute changed (valid CRCs: only the chain can tell).
    const ro = Wal.open({ dir: wal, syncPolicy: 'none', preallocate: 'off' });
    const frames = [...ro.read()];
    await ro.close();
    const copy = path.join(dir, 'copy');
    const out = Wal.open({ dir: copy, syncPolicy: 'none', preallocate: 'off' });
    for (const f of frames) {
      let payload: Uint8Array = f.payload;
      if (f.type === FrameType.RECORD) {
        const r = decodeRecord(f.payload);
        if (r.body === 'order 5')
          r.attributes = r.attributes.map((kv) => (kv.key === 'n' ? { key: 'n', value: 500n } : kv));
        payload = encodeRecord(r);
      }
      await out.append(payload, { type: f.type, timeUnixNano: f.timeUnixNano });
    }
    await out.close();
    const r = await runCli(['verify', '--wal', copy, '--public-key', pub]);
    expect(r.code).toBe(3);
    // Record 6 is frame 7 (a checkpoint follows record 4).
    expect(r.stdout).toContain('FIRST BAD RECORD: WAL seq 7, stream orders, record 6: modified');
    expect(r.stdout).toMatch(/^issues: 1$/m);
    expect(r.stdout).toMatch(/result: DAMAGED \(1 issue\)\n$/);
    const json = JSON.parse((await runCli(['verify', '--wal', copy, '--public-key', pub, '--json'])).stdout);
    expect(json.firstIssue).toEqual({
      kind: 'modified',
      seq: 7,
      chainNumber: 6,
      streamId: 'orders',
      message: expect.stringMatching(/record 6 of stream orders changed after it was chained/),
    });
    // The worker threads (--jobs, default the CPU count) and the single thread report the same damage.
    const inThread = JSON.parse(
      (await runCli(['verify', '--wal', copy, '--public-key', pub, '--json', '--jobs', '0'])).stdout,
    );
    const twoWorkers = await runCli(['verify', '--wal', copy, '--public-key', pub, '--json', '--jobs', '2']);
    expect(twoWorkers.code).toBe(3);
    expect(JSON.parse(twoWorkers.stdout)).toEqual(inThread);
    expect(inThread.firstIssue).toEqual(json.firstIssue);
    const none = await runCli(['verify', '--wal', copy, '--public-key', pub, '--issues-max', '0']);
    expect(none.code).toBe(3);
    expect(none.stdout).toContain('FIRST BAD RECORD: WAL seq 7');
    expect(none.stdout).toMatch(/^issues: 1 \(first 0 shown\)$/m);
  });

  it('signed checkpoints without a trusted key: not verified, exit 1', async () => {
    const dir = tempDir();
    await writeChained(dir, { count: 3, every: 10, sign: signer(generateKeyPair('EdDSA').privateKeyPem) });
    const r = await runCli(['verify', '--wal', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('signatures were not checked');
    expect(r.stdout).toMatch(/result: NOT VERIFIED/);
    expect(r.stderr).toMatch(/no trusted key was given/);
  });

  it('the certificate vector holds the key vector’s public key', () => {
    const key = createPrivateKey(fs.readFileSync(new URL('test-ed25519-key.pem', VECTORS), 'utf8'));
    const cert = new X509Certificate(fs.readFileSync(new URL('test-ed25519-cert.pem', VECTORS)));
    expect(cert.publicKey.equals(createPublicKey(key))).toBe(true);
  });

  it('trusts several keys (rotation) and X.509 certificates; an unknown key is reported', async () => {
    const dir = tempDir();
    const certKey = fs.readFileSync(new URL('test-ed25519-key.pem', VECTORS), 'utf8');
    const cert = fileURLToPath(new URL('test-ed25519-cert.pem', VECTORS));
    const next = generateKeyPair('EdDSA');
    fs.writeFileSync(path.join(dir, 'next.pem'), next.publicKeyPem);
    const wal = path.join(dir, 'wal');
    const chain = await writeChained(wal, { count: 6, every: 3, sign: signer(certKey) });
    await writeChained(wal, { count: 6, every: 3, sign: signer(next.privateKeyPem), from: chain });
    const both = await runCli([
      'verify',
      '--wal',
      wal,
      '--public-key',
      cert,
      '--public-key',
      path.join(dir, 'next.pem'),
    ]);
    expect(both.stdout).toMatch(/records +1\.\.12 \(checkpoints 4, signed 4/);
    expect(both.code).toBe(0);
    const one = await runCli(['verify', '--wal', wal, '--public-key', cert]);
    expect(one.code).toBe(3);
    expect(one.stdout).toContain(`FIRST BAD RECORD: WAL seq 12, stream orders, record 9: unknown-key`);
    expect(one.stdout).toContain(`is signed by key ${next.keyId}, which is not trusted: records 7..9`);
  });

  it('--published: the WAL must match the checkpoints published outside the host', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    const pub = path.join(dir, 'pub.pem');
    fs.writeFileSync(pub, pair.publicKeyPem);
    const wal = path.join(dir, 'wal');
    await writeChained(wal, { count: 8, every: 4, sign: signer(pair.privateKeyPem) });
    const published = path.join(dir, 'published');
    fs.mkdirSync(published);
    const checkpoints = [...openWalReadOnly({ dir: wal }).reader.records({ types: [FrameType.CHECKPOINT] })];
    expect(checkpoints).toHaveLength(2);
    checkpoints.forEach((c, i) => fs.writeFileSync(path.join(published, `orders-${i}.json`), c.payload));
    expect((await runCli(['verify', '--wal', wal, '--public-key', pub, '--published', published])).code).toBe(
      0,
    );
    const empty = tempDir();
    const r = await runCli(['verify', '--wal', empty, '--public-key', pub, '--published', published]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /truncation: a published checkpoint covers 8 records of stream orders but the WAL holds 0/,
    );
    expect(DAMAGE_KIND_HELP.truncation).toContain('a published one more than the WAL holds');
  });

  it('--published: a file larger than a checkpoint can be is reported published-unreadable (exit 3), not read', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    const pub = path.join(dir, 'pub.pem');
    fs.writeFileSync(pub, pair.publicKeyPem);
    const wal = path.join(dir, 'wal');
    await writeChained(wal, { count: 4, every: 4, sign: signer(pair.privateKeyPem) });
    const published = path.join(dir, 'published');
    fs.mkdirSync(published);
    const huge = path.join(published, 'huge.json');
    fs.closeSync(fs.openSync(huge, 'w'));
    fs.truncateSync(huge, 16 * 1024 ** 3); // sparse: neither on disk nor in memory
    const message = `published checkpoint huge.json is ${16 * 1024 ** 3} bytes, more than a checkpoint can be (1048576): not read`;
    const human = await runCli(['verify', '--wal', wal, '--public-key', pub, '--published', published]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(`FIRST BAD RECORD: WAL seq ?: published-unreadable\n  ${message}\n`);
    expect(human.stdout).toContain('result: DAMAGED (1 issue)');
    const json = await runCli([
      'verify',
      '--wal',
      wal,
      '--public-key',
      pub,
      '--published',
      published,
      '--json',
    ]);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as { issues: unknown[] }).issues).toEqual([
      { kind: 'published-unreadable', seq: null, chainNumber: null, streamId: null, message },
    ]);
  });

  it('a WAL written without audit_chain verifies its CRCs only: exit 0, records counted as unchained', async () => {
    const dir = tempDir();
    await writeWal(dir, [createAuditRecord({ body: 'a' }), createAuditRecord({ body: 'b' })]);
    const r = await runCli(['verify', '--wal', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 frames, 2 records (2 unchained)');
  });

  it('--progress reports on stderr', async () => {
    const dir = tempDir();
    await writeWal(dir, [createAuditRecord({ body: 'a' })]);
    const r = await runCli(['verify', '--wal', dir, '--progress']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('otel-audit: verify: 1 frames, done\n');
  });

  it('bad input is exit 1, bad usage exit 2', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    fs.writeFileSync(path.join(dir, 'private.pem'), pair.privateKeyPem);
    const missing = await runCli(['verify', '--wal', path.join(dir, 'nope')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/INVALID_ARGUMENT: --wal .*nope: no such directory/);
    const noKey = await runCli(['verify', '--wal', dir, '--public-key', path.join(dir, 'absent.pem')]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/KEY_INVALID: cannot read file/);
    const privateKey = await runCli(['verify', '--wal', dir, '--public-key', path.join(dir, 'private.pem')]);
    expect(privateKey.code).toBe(1);
    expect(privateKey.stderr).toMatch(
      /KEY_INVALID: .*private key where a public key or certificate is expected/,
    );
    expect((await runCli(['verify', '--wal', dir, '--issues-max', 'x'])).code).toBe(2);
    expect((await runCli(['verify', '--wal', dir, '--jobs', '-1'])).code).toBe(2);
    expect((await runCli(['verify', '--wal', dir, '--jobs', '65'])).code).toBe(2);
    expect((await runCli(['verify'])).code).toBe(2);
    expect((await runCli(['verify', '--wal', dir, '--published', path.join(dir, 'nope')])).code).toBe(1);
  });
});

describe('otel-audit verify on a hostile WAL', () => {
  /** A record, a frame of 50,000 empty attributes (100 KB, a valid CRC), a record. */
  async function hostileWal(): Promise<string> {
    const dir = tempDir();
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    await wal.append(encodeRecord(createAuditRecord({ body: 'before' })));
    await wal.append(hostileRecordPayload(50_000));
    await wal.append(encodeRecord(createAuditRecord({ body: 'after' })));
    await wal.close();
    return dir;
  }

  it('reports a record beyond --record-elements-max as unverifiable, by WAL seq, and exits 3', async () => {
    const dir = await hostileWal();
    for (const jobs of ['0', '1']) {
      const human = await runCli(['verify', '--wal', dir, '--record-elements-max', '10000', '--jobs', jobs]);
      expect(human.code).toBe(3);
      expect(human.stdout).toContain('FIRST BAD RECORD: WAL seq 2: unverifiable\n');
      expect(human.stdout).toContain('holds more than 10000 protobuf elements');
      expect(human.stdout).toContain('result: DAMAGED (1 issue)');
      const json = await runCli([
        'verify',
        '--wal',
        dir,
        '--record-elements-max',
        '10000',
        '--jobs',
        jobs,
        '--json',
      ]);
      expect(json.code).toBe(3);
      const report = JSON.parse(json.stdout) as { ok: boolean; records: number; issues: unknown[] };
      expect(report).toMatchObject({ ok: false, records: 3 });
      expect(report.issues).toEqual([
        expect.objectContaining({ kind: 'unverifiable', seq: 2, message: expect.stringContaining('10000') }),
      ]);
    }
    // Within the default budget the record is checked like any other.
    expect((await runCli(['verify', '--wal', dir])).code).toBe(0);
    expect((await runCli(['verify', '--wal', dir, '--record-elements-max', '0'])).code).toBe(2);
  });
});

describe('otel-audit verify --help', () => {
  /** The members of `DamageKind` as VerifyReport.ts declares them. */
  const declaredKinds = (): string[] => {
    const source = fs.readFileSync(
      fileURLToPath(new URL('../integrity/verify/VerifyReport.ts', import.meta.url)),
      'utf8',
    );
    const union = /export type DamageKind =([^;]*);/.exec(source)?.[1] ?? '';
    return [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1] as string);
  };

  it('lists every damage kind of the report, each on its own line with its meaning, records-lost among them', async () => {
    const r = await runCli(['verify', '--help']);
    expect(r.code).toBe(0);
    const section = r.stdout.split('Damage kinds')[1]?.split('Exit codes:')[0] ?? '';
    const listed = [...section.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
    const declared = declaredKinds();
    expect(declared).toContain('records-lost');
    expect(declared.length).toBeGreaterThan(10);
    expect(listed).toEqual(declared);
    for (const [kind, meaning] of Object.entries(DAMAGE_KIND_HELP)) {
      const words = meaning.split(' ');
      // The meaning follows the kind (wrapped at 80 columns: compared word by word).
      expect(section.replace(/\s+/g, ' ')).toContain(`${kind} ${words.join(' ')}`);
    }
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("docs/cli.md's verify damage-kind table says what the help says: same kinds, same order, same words", () => {
    const doc = fs.readFileSync(fileURLToPath(new URL('../../docs/cli.md', import.meta.url)), 'utf8');
    const section = doc.split(/^## `verify`$/m)[1]?.split(/^## /m)[0] ?? '';
    const rows = [...section.matchAll(/^\| `([a-z-]+)` +\| (.*?) +\|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows).toEqual(Object.entries(DAMAGE_KIND_HELP));
  });

  it('a segment missing in the middle of the WAL is records-lost (its records were durable: later segments exist)', async () => {
    const dir = tempDir();
    const wal = Wal.open({ dir, segmentBytesMax: 8192, payloadBytesMax: 1024, preallocate: 'off' });
    for (let i = 0; i < 200; i += 10) {
      await wal.appendBatch(
        Array.from({ length: 10 }, (_, k) =>
          encodeRecord(createAuditRecord({ body: `record ${i + k} ${'x'.repeat(200)}` })),
        ),
      );
    }
    await wal.close();
    const segments = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    expect(segments.length).toBeGreaterThan(3);
    const middle = segments[1] as string;
    fs.rmSync(path.join(dir, middle));
    for (const jobs of ['0', '2']) {
      const r = await runCli(['verify', '--wal', dir, '--json', '--jobs', jobs]);
      expect(r.code).toBe(3);
      const issues = (JSON.parse(r.stdout) as { issues: { kind: string; message: string }[] }).issues;
      expect(issues).toEqual([
        expect.objectContaining({
          kind: 'records-lost',
          message: expect.stringContaining('a segment missing'),
        }),
      ]);
    }
    expect(DAMAGE_KIND_HELP['records-lost']).toContain('a segment before the last is missing or cut short');
  });

  it('undecodable covers a checkpoint frame over 1 MiB (not parsed), with its WAL seq', async () => {
    const dir = tempDir();
    const pair = generateKeyPair('EdDSA');
    await writeChained(dir, { count: 4, every: 4, sign: signer(pair.privateKeyPem) });
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', payloadBytesMax: 4 * 1024 * 1024 });
    let bigSeq: number;
    try {
      // Valid JSON, one byte over CHECKPOINT_PAYLOAD_BYTES_MAX (1 MiB): refused before it is parsed.
      bigSeq = await wal.append(Buffer.alloc(1024 * 1024 + 1, 0x20), { type: FrameType.CHECKPOINT });
    } finally {
      await wal.close();
    }
    for (const jobs of ['0', '2']) {
      const r = await runCli(['verify', '--wal', dir, '--json', '--jobs', jobs]);
      expect(r.code).toBe(3);
      const issues = (JSON.parse(r.stdout) as { issues: { kind: string; seq: number; message: string }[] })
        .issues;
      expect(issues).toEqual([
        expect.objectContaining({
          kind: 'undecodable',
          seq: bigSeq,
          message: expect.stringMatching(/checkpoint does not decode: .*more than a checkpoint can be/),
        }),
      ]);
    }
    expect(DAMAGE_KIND_HELP.undecodable).toContain('checkpoint frame over 1 MiB');
  });

  it('the kind verify reports for records missing below the high-water mark is one the help lists', async () => {
    const dir = tempDir();
    const wal = Wal.open({ dir, segmentBytesMax: 8192, payloadBytesMax: 1024, preallocate: 'off' });
    for (let i = 0; i < 200; i += 10) {
      await wal.appendBatch(
        Array.from({ length: 10 }, (_, k) => encodeRecord(createAuditRecord({ body: `record ${i + k}` }))),
      );
    }
    await wal.close();
    const newest = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort()
      .at(-1) as string;
    fs.rmSync(path.join(dir, newest));
    const r = await runCli(['verify', '--wal', dir, '--json']);
    expect(r.code).toBe(3);
    const kinds = (JSON.parse(r.stdout) as { issues: { kind: string }[] }).issues.map((i) => i.kind);
    expect(kinds).toEqual(['records-lost']);
    const help = (await runCli(['verify', '--help'])).stdout;
    expect(help).toMatch(/^ {2}records-lost {2,}durable records are missing: the WAL ends before its/m);
  });
});
