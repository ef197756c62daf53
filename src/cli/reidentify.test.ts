import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flipPayloadBit } from '../wal/testutil/sealedWalCopies.ts';
import { encryptValue } from '../privacy/encryptedValue.ts';
import { KeyStore } from '../privacy/KeyStore.ts';
import { loadSecretKey } from '../privacy/KeyProvider.ts';
import { deriveReversalKey, pseudonymToken } from '../privacy/pseudonym.ts';
import { SecretKeyRing } from '../privacy/SecretKey.ts';
import { randomSecretKey, writeKeyFile } from '../privacy/testutil/keys.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../integrity/verify/verifyWal.ts';
import { hostileRecordPayload } from '../integrity/verify/testutil/hostilePayload.ts';
import { kvlist } from '../record/AnyValue.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { encodeRecord } from '../record/walCodec.ts';
import { Wal } from '../wal/Wal.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { runCli, writeWal } from './testutil/runCli.ts';

const tmp = makeTempDir('otel-audit-cli-reidentify-');
afterAll(() => tmp.cleanup());
const reversalFile = writeKeyFile(tmp.dir, 'reversal.key');
const reversal = deriveReversalKey(loadSecretKey({ file: reversalFile }));
const pseudonymKey = randomSecretKey();
const reversible = (v: Parameters<typeof pseudonymToken>[0]) => pseudonymToken(v, pseudonymKey, reversal);

describe('otel-audit reidentify', () => {
  it('recovers one token, every kind, as an OTLP/JSON value', async () => {
    for (const [value, json] of [
      ['alice', { stringValue: 'alice' }],
      [42n, { intValue: '42' }],
      [kvlist([['k', true]]), { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } }],
    ] as const) {
      const token = reversible(value);
      const r = await runCli(['reidentify', '--key', reversalFile, '--token', token]);
      expect(r).toEqual({ code: 0, stdout: `${JSON.stringify({ token, value: json })}\n`, stderr: '' });
    }
  });

  it('fails with typed errors: plain token, changed token, wrong key, bad usage', async () => {
    const plain = pseudonymToken('alice', pseudonymKey);
    let r = await runCli(['reidentify', '--key', reversalFile, '--token', plain]);
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringMatching(/CIPHERTEXT_MALFORMED: the token is not reversible/),
    ]);
    const token = reversible('alice');
    const parts = token.split(':');
    const sealed = Buffer.from(parts[4] as string, 'base64url');
    sealed[15] = (sealed[15] as number) ^ 1;
    parts[4] = sealed.toString('base64url');
    r = await runCli(['reidentify', '--key', reversalFile, '--token', parts.join(':')]);
    expect([r.code, r.stderr]).toEqual([
      3,
      expect.stringMatching(/DECRYPT_FAILED: pseudonym token: authentication failed/),
    ]);
    r = await runCli(['reidentify', '--key', writeKeyFile(tmp.dir, 'other.key'), '--token', token]);
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringMatching(/KEY_NOT_FOUND: the token needs reversal key/),
    ]);
    for (const args of [[], ['--token', token, '--wal', tmp.dir, '--seq', '1'], ['--wal', tmp.dir]]) {
      expect((await runCli(['reidentify', '--key', reversalFile, ...args])).code, args.join(' ')).toBe(2);
    }
  });

  it('over a WAL record: prints every reversible token with its path, reports the ones it cannot recover', async () => {
    const wal = path.join(tmp.dir, 'wal');
    const foreign = pseudonymToken('x', pseudonymKey, deriveReversalKey(randomSecretKey()));
    await writeWal(wal, [
      createAuditRecord({
        attributes: [
          { key: 'user.email', value: reversible('a@x') },
          { key: 'other', value: foreign },
          { key: 'plain', value: pseudonymToken('p', pseudonymKey) },
        ],
        body: kvlist([['who', kvlist([['name', reversible('Alice')]])]]),
      }),
      createAuditRecord({ body: 'nothing here' }),
    ]);
    const r = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', '1']);
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; value: unknown }),
    ).toEqual([
      expect.objectContaining({ seq: 1, path: 'attributes/user.email', value: { stringValue: 'a@x' } }),
      expect.objectContaining({ seq: 1, path: 'body/who/name', value: { stringValue: 'Alice' } }),
    ]);
    expect(r.stderr).toMatch(/^otel-audit: reidentify: attributes\/other: KEY_NOT_FOUND: /);
    const none = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', '2']);
    expect(none).toMatchObject({
      code: 0,
      stdout: '',
      stderr: expect.stringMatching(/no reversible tokens/),
    });
    expect((await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', '9'])).stderr).toMatch(
      /INVALID_ARGUMENT: no record 9/,
    );
  });
});

/**
 * A WAL of 120 records, each with a reversible token, in segments of 4 KiB (one record a batch);
 * its segment files sorted, more than two of them.
 */
async function reversibleWal(name: string): Promise<{ wal: string; segments: string[] }> {
  const wal = path.join(tmp.dir, name);
  await writeWal(
    wal,
    Array.from({ length: 120 }, (_, i) =>
      createAuditRecord({ attributes: [{ key: 'user.email', value: reversible(`u${i}@x`) }] }),
    ),
    { segmentBytesMax: 4096, batchRecords: 1 },
  );
  const segments = fs
    .readdirSync(wal)
    .filter((f) => f.endsWith('.wal'))
    .sort();
  expect(segments.length).toBeGreaterThan(2);
  return { wal, segments };
}

describe('otel-audit reidentify --wal: a record the WAL lost', () => {
  it('is named as lost, with the damage, and exits 3 (not "no record", exit 1)', async () => {
    const { wal, segments } = await reversibleWal('wal-lost');
    const missing = segments[1] as string;
    const firstLost = Number(missing.slice(0, 20));
    fs.rmSync(path.join(wal, missing));
    const r = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', String(firstLost)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `WAL_CORRUPT: no record ${firstLost} in .*: the WAL lost seqs ${firstLost}\\.\\.\\d+ \\(missing-segment`,
      ),
    );
    // A record the WAL holds is still recovered.
    const kept = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', '1']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toMatch(/"stringValue":"u0@x"/);
  });
});

describe('otel-audit reidentify --wal: a record lost to damage met while reading', () => {
  it('is named as lost to that damage and exits 3 (not "no record", exit 1)', async () => {
    const { wal, segments } = await reversibleWal('wal-rot');
    // Bit rot in a sealed segment: trusted through its footer at open, met only by the read.
    const rotten = flipPayloadBit(path.join(wal, segments[1] as string), 2);
    const r = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', String(rotten.seq)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `WAL_CORRUPT: no record ${rotten.seq} in .*: damage met: ${segments[1]} at offset ${rotten.offset}`,
      ),
    );
    // A number past the WAL's end is still a wrong number.
    const past = await runCli(['reidentify', '--key', reversalFile, '--wal', wal, '--seq', '100000']);
    expect(past.code).toBe(1);
  });
});

describe('otel-audit reidentify --wal: a hostile record (a valid frame built to exhaust memory)', () => {
  /** A WAL: a record with a reversible token, a frame of `attributes` empty attributes (2 bytes each). */
  async function hostileWal(name: string, attributes: number): Promise<string> {
    const dir = path.join(tmp.dir, name);
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', payloadBytesMax: 8 * 1024 * 1024 });
    try {
      await wal.append(encodeRecord(createAuditRecord({ body: reversible('Alice') })));
      await wal.append(hostileRecordPayload(attributes));
    } finally {
      await wal.close();
    }
    return dir;
  }
  const reidentify = (wal: string, ...args: string[]) =>
    runCli(['reidentify', '--key', reversalFile, '--wal', wal, ...args]);

  it('beyond --record-elements-max: DECODE_LIMIT (exit 1) naming the seq, nothing decoded', async () => {
    const wal = await hostileWal('hostile-small', 50_000); // 100 KB, 50,003 elements
    expect(await reidentify(wal, '--seq', '2', '--record-elements-max', '10000')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'otel-audit: DECODE_LIMIT: the record at WAL seq 2 (100013 bytes) holds more than 10000 protobuf elements, the limit per record (--record-elements-max): not decoded\n',
    });
    // Within the budget it is read like any other record; the record before it is not affected.
    expect(await reidentify(wal, '--seq', '2', '--record-elements-max', '50003')).toMatchObject({
      code: 0,
      stderr: 'otel-audit: reidentify: record 2 holds no reversible tokens\n',
    });
    const first = await reidentify(wal, '--seq', '1', '--record-elements-max', '10000');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ seq: 1, path: 'body', value: { stringValue: 'Alice' } });
  });

  it("the default budget is verify's; a bad budget is a usage error", async () => {
    const wal = await hostileWal('hostile-default', RECORD_ELEMENTS_MAX_DEFAULT - 2); // one element over
    const r = await reidentify(wal, '--seq', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^otel-audit: DECODE_LIMIT: the record at WAL seq 2 \\(\\d+ bytes\\) holds more than ${RECORD_ELEMENTS_MAX_DEFAULT} protobuf`,
      ),
    );
    const help = await runCli(['reidentify', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`(default: ${RECORD_ELEMENTS_MAX_DEFAULT})`);
    expect((await reidentify(wal, '--seq', '1', '--record-elements-max', '0')).code).toBe(2);
  });
});

describe('otel-audit replay --key-store', () => {
  it('decrypts, marks shredded and undecryptable values, and counts the latter as damage', async () => {
    const masterFile = writeKeyFile(tmp.dir, 'master.key');
    const keys = path.join(tmp.dir, 'keys');
    const store = KeyStore.open({
      directory: keys,
      masterKeys: new SecretKeyRing([loadSecretKey({ file: masterFile })], 'm'),
      create: true,
    });
    const enc = (subject: string, value: string, at: string[], time = 1n) => {
      const k = store.keyForSubject(subject);
      return encryptValue(value, k.id, k.key, { path: at, timeUnixNano: time });
    };
    const wal = path.join(tmp.dir, 'wal-enc');
    await writeWal(wal, [
      createAuditRecord({ timeUnixNano: 1n, body: enc('a', 'for a', ['body']) }),
      createAuditRecord({
        timeUnixNano: 1n,
        attributes: [{ key: 'x', value: enc('b', 'for b', ['attributes', 'x']) }],
      }),
      createAuditRecord({ timeUnixNano: 2n, body: enc('b', 'moved', ['body'], 1n) }),
    ]);
    store.shred('a');
    const r = await runCli(['replay', '--wal', wal, '--key-store', keys, '--master-key', masterFile]);
    expect(r.code).toBe(3);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { record: Record<string, unknown> });
    expect(lines[0]?.record['body']).toEqual({ stringValue: '[shredded]' });
    expect(lines[1]?.record['attributes']).toEqual([{ key: 'x', value: { stringValue: 'for b' } }]);
    expect(lines[2]?.record['body']).toEqual({ stringValue: '[undecryptable]' });
    expect(r.stderr).toMatch(/damage: record 3: body: DECRYPT_FAILED/);
    const half = await runCli(['replay', '--wal', wal, '--key-store', keys]);
    expect([half.code, half.stderr]).toEqual([
      1,
      expect.stringMatching(/--key-store and --master-key go together/),
    ]);
  });
});
