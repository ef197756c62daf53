/**
 * `otel-audit prove` and `otel-audit verify-proof`: proofs written from a
 * chained, signed WAL (built through the real Service) are checked in a
 * directory that holds only the proof and the public key, as an auditor
 * would; tampered proofs exit 3, malformed ones 1, usage errors 2.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainSequencer, type CheckpointSigner } from '../integrity/chain/ChainSequencer.ts';
import { ChainState } from '../integrity/chain/ChainState.ts';
import { sampleRecord, writeChainedWal } from '../integrity/proof/testutil/chainedWal.ts';
import { keyId } from '../integrity/sign/keyId.ts';
import { writeOversizeFrameWal } from '../integrity/verify/testutil/oversizeFrameWal.ts';
import { signBytes } from '../integrity/sign/signBytes.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../integrity/verify/verifyWal.ts';
import { hostileRecordPayload } from '../integrity/verify/testutil/hostilePayload.ts';
import { generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { openWalReadOnly, WAL_FRAME_BYTES_MAX } from '../wal/readOnly.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Wal } from '../wal/Wal.ts';
import { runCli, writeWal } from './testutil/runCli.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const tmp = makeTempDir('otel-audit-prove-');
afterAll(() => tmp.cleanup());
const keys = generateKeyPair('EdDSA');
const wal = path.join(tmp.dir, 'wal');
/** Where the auditor works: the proofs and the public key, no WAL. */
const auditor = path.join(tmp.dir, 'auditor');
const STREAM = 'payments-7';

const prove = (...args: string[]) => runCli(['prove', '--wal', wal, ...args], { cwd: auditor });
const verify = (...args: string[]) => runCli(['verify-proof', ...args], { cwd: auditor });

beforeAll(async () => {
  mkdirSync(auditor);
  const keyFile = path.join(tmp.dir, 'signing.pem');
  writeFileSync(keyFile, keys.privateKeyPem);
  writeFileSync(path.join(auditor, 'public.pem'), keys.publicKeyPem);
  // Checkpoints at 5, 10, 15 and 17 (shutdown), then 22, 25 (shutdown).
  await writeChainedWal({
    walDir: wal,
    privateKeyFile: keyFile,
    streamId: STREAM,
    checkpointEveryRecords: 5,
    runs: [17, 8],
  });
});

describe('prove → verify-proof', () => {
  it('--seq: the record at that WAL position, against the smallest signed checkpoint covering it', async () => {
    const p = await prove('--seq', '9', '--out', 'seq9.json');
    expect(p).toMatchObject({ code: 0, stdout: '' });
    expect(p.stderr).toMatch(
      new RegExp(
        `^otel-audit: prove: inclusion of record (\\d+) \\(seq 9\\) of stream ${STREAM} in the tree of 10 records .*→ seq9\\.json\\n$`,
      ),
    );
    const v = await verify('seq9.json', '--public-key', 'public.pem');
    expect(v.code).toBe(0);
    expect(v.stderr).toBe('');
    expect(v.stdout).toMatch(/^VALID inclusion proof\n/);
    expect(v.stdout).toContain(`  stream:      ${STREAM}\n`);
    expect(v.stdout).toMatch(/ {2}record: {6}number 8 of 10 \(leaf index 7\)\n/); // seq 9 = record 8: checkpoint frame at seq 6
    expect(v.stdout).toMatch(/ {2}event: {7}(user\.login|document\.read)\n/);
    expect(v.stdout).toContain('  attributes:  user.id="u');
    expect(v.stdout).toContain(`signed EdDSA by key ${keys.keyId}`);
  });

  it('--record with --checkpoint, to stdout', async () => {
    const p = await prove('--record', '3', '--checkpoint', '25');
    expect(p.code).toBe(0);
    const proof = JSON.parse(p.stdout) as Record<string, unknown>;
    expect(proof).toMatchObject({ type: 'inclusion', v: 1, stream_id: STREAM, leaf_index: 2, tree_size: 25 });
    writeFileSync(path.join(auditor, 'record3.json'), p.stdout);
    const v = await verify('record3.json', '--public-key', 'public.pem', '--json');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      valid: true,
      type: 'inclusion',
      stream_id: STREAM,
      leaf_index: 2,
      tree_size: 25,
      checkpoint: { tree_size: 25, algorithm: 'EdDSA', key_id: keys.keyId },
    });
  });

  it('--consistency between signed checkpoints, across the restart', async () => {
    for (const [from, to] of [
      ['5', '10'],
      ['10', '17'],
      ['15', '25'],
      ['17', '22'],
      ['22', '22'],
    ] as const) {
      const out = `c-${from}-${to}.json`;
      expect((await prove('--consistency', '--from', from, '--to', to, '--out', out)).code).toBe(0);
      const v = await verify(out, '--public-key', 'public.pem');
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(/^VALID consistency proof\n/);
      expect(v.stdout).toContain(`  first:       tree size ${from}, root `);
      expect(v.stdout).toContain(`  second:      tree size ${to}, root `);
    }
  });

  it('the installed bin does the same (a separate process, only the proof and the key)', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [MAIN, 'verify-proof', 'seq9.json', '--public-key', 'public.pem'],
      {
        cwd: auditor,
      },
    );
    expect(stdout).toMatch(/^VALID inclusion proof\n/);
  });
});

describe('verify-proof rejects', () => {
  it('tampered proofs with exit 3, naming the failure', async () => {
    const original = readFileSync(path.join(auditor, 'seq9.json'), 'utf8');
    const doc = JSON.parse(original) as { inclusion_path: string[]; tree_size: number };
    const cases: Array<[string, string, RegExp]> = [
      ['path', original.replace(doc.inclusion_path[0] as string, '0'.repeat(64)), /ROOT_MISMATCH/],
      [
        'record',
        original.replace('"user.login"', '"user.logout"').replace('"document.read"', '"document.write"'),
        /RECORD_MISMATCH/,
      ],
      ['size', original.replace(`"tree_size": ${doc.tree_size}`, '"tree_size": 15'), /SIZE_MISMATCH/],
    ];
    for (const [name, text, failure] of cases) {
      writeFileSync(path.join(auditor, `bad-${name}.json`), text);
      const v = await verify(`bad-${name}.json`, '--public-key', 'public.pem');
      expect({ name, code: v.code }).toEqual({ name, code: 3 });
      expect(v.stdout).toMatch(/^INVALID inclusion proof\n/);
      expect(v.stdout).toMatch(failure);
      expect(v.stderr).toBe(`otel-audit: verify-proof: bad-${name}.json: the proof is NOT valid\n`);
    }
  });

  it('a proof checked with another key, exit 3', async () => {
    writeFileSync(path.join(auditor, 'stranger.pem'), generateKeyPair('EdDSA').publicKeyPem);
    const v = await verify('seq9.json', '--public-key', 'stranger.pem');
    expect(v.code).toBe(3);
    expect(v.stdout).toContain('UNKNOWN_KEY');
    expect(
      (await verify('seq9.json', '--public-key', 'stranger.pem', '--public-key', 'public.pem')).code,
    ).toBe(0);
  });

  it('malformed proofs and unusable keys with exit 1', async () => {
    writeFileSync(path.join(auditor, 'garbage.json'), '{"type":"inclusion"');
    const garbage = await verify('garbage.json', '--public-key', 'public.pem');
    expect(garbage).toMatchObject({ code: 1, stdout: '' });
    expect(garbage.stderr).toMatch(/^otel-audit: PROOF_MALFORMED: not JSON/);
    const missing = await verify('nope.json', '--public-key', 'public.pem');
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'otel-audit: INVALID_ARGUMENT: nope.json: no such file\n',
    });
    writeFileSync(path.join(auditor, 'private.pem'), keys.privateKeyPem);
    const privateKey = await verify('seq9.json', '--public-key', 'private.pem');
    expect(privateKey.code).toBe(1);
    expect(privateKey.stderr).toMatch(/KEY_INVALID: .*private key where a public key/);
  });

  it('usage errors with exit 2', async () => {
    expect((await verify('seq9.json')).stderr).toContain('give at least one --public-key');
    for (const args of [
      [],
      ['--seq', '3', '--record', '3'],
      ['--consistency', '--from', '5'],
      ['--consistency', '--from', '10', '--to', '5'],
      ['--consistency', '--from', '5', '--to', '10', '--seq', '3'],
      ['--seq', '3', '--from', '5'],
      ['--seq', '0'],
      ['--record', '11', '--checkpoint', '10'],
    ]) {
      const r = await prove(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
  });
});

describe('prove refuses', () => {
  it('what no signed checkpoint covers, or a WAL without a chain, with exit 1', async () => {
    const noCheckpoint = await prove('--record', '3', '--checkpoint', '7');
    expect(noCheckpoint.code).toBe(1);
    expect(noCheckpoint.stderr).toContain(
      `stream ${STREAM} has no signed checkpoint of tree size 7 (signed tree sizes: 5, 10, 15, 17, 22, 25)`,
    );
    expect((await prove('--record', '26')).stderr).toContain(`stream ${STREAM} has no record 26`);
    expect((await prove('--seq', '6')).stderr).toContain('seq 6 is not a record');
    expect((await prove('--seq', '8', '--checkpoint', '5')).stderr).toMatch(
      /the checkpoint at tree size 5 does not cover record \d+/,
    );
    expect((await prove('--record', '2', '--stream', 'other')).stderr).toContain(
      `holds no records of stream other (streams found: ${STREAM})`,
    );
    const plain = path.join(tmp.dir, 'plain');
    await writeWal(plain, [createAuditRecord({ body: 'unchained' })]);
    const r = await runCli(['prove', '--wal', plain, '--seq', '1']);
    expect(r).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('is not chained');
    expect((await runCli(['prove', '--wal', path.join(tmp.dir, 'none'), '--seq', '1'])).stderr).toContain(
      'no such directory',
    );
  });
});

describe('prove on a hostile WAL (a valid frame built to exhaust memory)', () => {
  const junkWal = path.join(tmp.dir, 'junk');
  const leafWal = path.join(tmp.dir, 'leaf');
  let junkSeq = 0;
  let defaultSeq = 0;
  let leafSeq = 0;
  const proveIn = (dir: string, ...args: string[]) =>
    runCli(['prove', '--wal', dir, ...args], { cwd: auditor });

  async function appendFrame(dir: string, payload: Uint8Array): Promise<number> {
    const w = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', payloadBytesMax: 8 * 1024 * 1024 });
    try {
      return await w.append(payload);
    } finally {
      await w.close();
    }
  }

  beforeAll(async () => {
    const keyFile = path.join(tmp.dir, 'signing.pem');
    const base = { privateKeyFile: keyFile, streamId: STREAM, checkpointEveryRecords: 5 };
    // junk: records 1-5 (checkpoint 5), a frame of 50,000 empty attributes, records 6-10 (checkpoint 10),
    // then one of one element more than the default budget.
    await writeChainedWal({ ...base, walDir: junkWal, runs: [5] });
    junkSeq = await appendFrame(junkWal, hostileRecordPayload(50_000));
    await writeChainedWal({ ...base, walDir: junkWal, runs: [5] });
    defaultSeq = await appendFrame(junkWal, hostileRecordPayload(RECORD_ELEMENTS_MAX_DEFAULT - 2));
    // leaf: records 1-5 (checkpoint 5); the first sent (chain number 1 or 3) has 20,000 attributes (40,000+ elements).
    const big = (n: number) => {
      const r = sampleRecord(n);
      const extra = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, value: i % 2 === 0 }));
      return n === 0 ? createAuditRecord({ ...r, attributes: [...r.attributes, ...extra] }) : r;
    };
    await writeChainedWal({ ...base, walDir: leafWal, runs: [5], recordOf: big });
    const { reader } = openWalReadOnly({ dir: leafWal });
    for (const f of reader.records()) if (f.payload.length > 100_000) leafSeq = f.seq;
  });

  it('the record to prove beyond --record-elements-max: DECODE_LIMIT (exit 1) naming its seq', async () => {
    const r = await proveIn(junkWal, '--seq', String(junkSeq), '--record-elements-max', '10000');
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `otel-audit: DECODE_LIMIT: the record at WAL seq ${junkSeq} (100013 bytes) holds more than 10000 protobuf elements, the limit per record (--record-elements-max): not decoded\n`,
    });
    const leaf = await proveIn(leafWal, '--seq', String(leafSeq), '--record-elements-max', '10000');
    expect(leaf.code).toBe(1);
    expect(leaf.stderr).toMatch(
      new RegExp(`^otel-audit: DECODE_LIMIT: the record at WAL seq ${leafSeq} \\(`),
    );
    // The default budget is verify's: one element more is refused, and it is what --help shows.
    const over = await proveIn(junkWal, '--seq', String(defaultSeq));
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(
      new RegExp(
        `^otel-audit: DECODE_LIMIT: the record at WAL seq ${defaultSeq} \\(\\d+ bytes\\) holds more than ${RECORD_ELEMENTS_MAX_DEFAULT} `,
      ),
    );
    const help = await runCli(['prove', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`(default: ${RECORD_ELEMENTS_MAX_DEFAULT})`);
  });

  it('a frame beyond the budget that is none of the leaves: the proof is made, and the frame named', async () => {
    const r = await proveIn(
      junkWal,
      '--record',
      '8',
      '--record-elements-max',
      '10000',
      '--out',
      'junk8.json',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `otel-audit: prove: notice: the record at WAL seq ${junkSeq} (100013 bytes) holds more than 10000 protobuf elements, the limit per record (--record-elements-max): not decoded; the chain numbers show it is none of the records proven\n`,
    );
    expect((await verify('junk8.json', '--public-key', 'public.pem')).code).toBe(0);
    const c = await proveIn(
      junkWal,
      '--consistency',
      '--from',
      '5',
      '--to',
      '10',
      '--record-elements-max',
      '10000',
    );
    expect(c.code).toBe(0);
  });

  it('a leaf beyond the budget: no proof over it, naming its seq; within the budget, proved', async () => {
    for (const args of [
      ['--record', '1'],
      ['--consistency', '--from', '5', '--to', '5'],
    ]) {
      const r = await proveIn(leafWal, ...args, '--record-elements-max', '10000');
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
      // The chain numbers show a gap after it: reading stops there, and says why.
      expect(r.stderr).toMatch(
        new RegExp(
          `reading stopped: record at seq \\d+ has chain number \\d+ where \\d+ belongs \\(the record at WAL seq ${leafSeq} \\(\\d+ bytes\\) holds more than 10000 protobuf elements, the limit per record \\(--record-elements-max\\): not decoded\\)`,
        ),
      );
    }
    expect((await proveIn(leafWal, '--record', '1')).code).toBe(0);
    expect((await proveIn(leafWal, '--seq', String(leafSeq))).code).toBe(0);
  });
});

/**
 * A chain of `records` in this order (chain numbers 1..n, unlike the Service's concurrent callers), signed
 * checkpoint after the last.
 */
async function writeOrderedChain(dir: string, records: readonly AuditRecord[]): Promise<void> {
  const key = createPrivateKey(keys.privateKeyPem);
  const signer: CheckpointSigner = {
    algorithm: 'EdDSA',
    keyId: keyId(key),
    sign: (d) => signBytes('EdDSA', key, d),
  };
  const w = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    {
      chain: new ChainState(STREAM),
      signer,
      checkpointEveryRecords: 1000,
      checkpointEveryMs: 3_600_000,
      clock: () => 1n,
    },
    0,
  );
  w.setSequencer(sequencer);
  try {
    await w.appendDeferred(records.map((r, i) => sequencer.deferredRecord(r, BigInt(i + 1), 256)));
    await w.appendDeferred([sequencer.deferredCheckpoint()]);
  } finally {
    await w.close();
  }
}

describe('prove: limits met at the end of what it reads', () => {
  const proveIn = (dir: string, ...args: string[]) =>
    runCli(['prove', '--wal', dir, ...args], { cwd: auditor });

  it('the last record before the checkpoint beyond --record-elements-max: SIZE_MISMATCH (exit 3) naming it', async () => {
    const dir = path.join(tmp.dir, 'last-undecoded');
    const extra = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i}`, value: i % 2 === 0 }));
    const big = createAuditRecord({ ...sampleRecord(4), attributes: extra });
    await writeOrderedChain(dir, [0, 1, 2, 3].map(sampleRecord).concat(big));
    const r = await proveIn(dir, '--record', '2', '--record-elements-max', '10000');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    // No later record of the stream shows a gap: only the count tells, and the message names the frame.
    expect(r.stderr).toMatch(
      /^otel-audit: PROOF_INVALID: SIZE_MISMATCH: the checkpoint at seq 6 covers 5 records but only 4 are readable \(the record at WAL seq 5 \(\d+ bytes\) holds more than 10000 protobuf elements, the limit per record \(--record-elements-max\): not decoded\); run otel-audit verify\n$/,
    );
    expect((await proveIn(dir, '--record', '2')).code).toBe(0);
  });

  it('a frame claiming more than any WAL writer writes: not read, named with its position in the failure', async () => {
    const chained = path.join(tmp.dir, 'to-copy');
    await writeOrderedChain(chained, [0, 1, 2, 3, 4].map(sampleRecord));
    const frames = [...openWalReadOnly({ dir: chained }).reader.records()];
    expect(frames.map((f) => f.type)).toEqual([1, 1, 1, 1, 1, 3]);
    const spec = frames.map((f) => ({ type: f.type, payload: f.payload }));
    // Record 5 replaced by a frame claiming one byte more than the largest a writer writes (sparse, valid CRC).
    const dir = path.join(tmp.dir, 'oversize');
    const at = writeOversizeFrameWal(dir, {
      before: spec.slice(0, 4),
      frameBytes: WAL_FRAME_BYTES_MAX + 1,
      after: spec.slice(5),
    });
    const r = await proveIn(dir, '--record', '2');
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr: `otel-audit: PROOF_INVALID: SIZE_MISMATCH: the checkpoint at seq 6 covers 5 records but only 4 are readable (1 unreadable frame, the first in ${at.segment} at offset ${at.offset} (too-large: the frame claims ${WAL_FRAME_BYTES_MAX + 1} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes)); run otel-audit verify\n`,
    });
  });
});
