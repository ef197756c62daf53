/**
 * Pseudonymization, encryption and crypto-shredding through the real
 * service: [audit_pseudonymize, audit_encrypt, audit_chain, audit_sign] →
 * audit_wal, records of two data subjects. `replay --key-store` shows
 * plaintext; after `keys shred` of subject A it shows `[shredded]` for A's
 * encrypted fields and plaintext for B's; the signed hash chain still
 * verifies (it covers the ciphertext); pseudonym tokens are stable across a
 * restart; `reidentify` recovers a value with the reversal key only.
 */
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/resolve.ts';
import { runCli } from '../src/cli/testutil/runCli.ts';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { Service } from '../src/pipeline/Service.ts';
import { writeKeyFile } from '../src/privacy/testutil/keys.ts';
import { kvlist } from '../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { quietLogger, walRecords } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-shredding-');
afterAll(() => tmp.cleanup());
const file = (name: string) => path.join(tmp.dir, name);
const signing = generateKeyPair('EdDSA');
writeFileSync(file('signing.pem'), signing.privateKeyPem);
const masterKey = writeKeyFile(tmp.dir, 'master.key');
const pseudonymKey = writeKeyFile(tmp.dir, 'pseudonym.key');
const reversalKey = writeKeyFile(tmp.dir, 'reversal.key');
const keyStore = file('keys');
const walDir = file('wal');
const registry = createFactoryRegistry();

function build(): Service {
  const text = `
receivers: { audit_sdk: }
processors:
  audit_pseudonymize:
    attributes: [user.email]
    body_paths: [actor.name]
    keys: [{ file: ${pseudonymKey} }]
    reversal_keys: [{ file: ${reversalKey} }]
  audit_encrypt:
    attributes: [card.holder]
    body_paths: [details]
    subject_attribute: user.id
    missing_subject: refuse
    key_store: { directory: ${keyStore}, master_keys: [{ file: ${masterKey} }] }
  audit_chain: { stream_id: privacy-1, checkpoint_every_records: 4 }
  audit_sign:
    key_source: { type: file, file: { private_key: ${file('signing.pem')} } }
exporters:
  audit_wal: { directory: ${walDir} }
service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      processors: [audit_pseudonymize, audit_encrypt, audit_chain, audit_sign]
      exporters: [audit_wal]
`;
  const config = resolveConfig([{ kind: 'yaml', text }], { catalog: registry.catalog });
  return Service.build({ config, registry, logger: quietLogger });
}

const PEOPLE = {
  a: { id: 'user-a', email: 'alice@example.com', name: 'Alice', holder: 'ALICE A' },
  b: { id: 'user-b', email: 'bob@example.com', name: 'Bob', holder: 'BOB B' },
} as const;

function event(who: keyof typeof PEOPLE, n: number): AuditRecord {
  const p = PEOPLE[who];
  return createAuditRecord({
    timeUnixNano: 1_700_000_000_000_000_000n + BigInt(n),
    eventName: 'payment.authorized',
    attributes: [
      { key: 'user.id', value: p.id },
      { key: 'user.email', value: p.email },
      { key: 'card.holder', value: p.holder },
    ],
    body: kvlist([
      ['actor', kvlist([['name', p.name]])],
      [
        'details',
        kvlist([
          ['note', `note ${n} of ${p.name}`],
          ['amount', BigInt(100 + n)],
        ]),
      ],
    ]),
  });
}

async function run(records: AuditRecord[]): Promise<void> {
  const service = build();
  await service.start();
  await service.pipelines.get('logs')?.consumeLogs({ records });
  await service.shutdown();
}

interface JsonKv {
  key: string;
  value: Record<string, unknown>;
}
interface Line {
  seq: number;
  record: { attributes: JsonKv[]; body: { kvlistValue: { values: JsonKv[] } } };
}

async function replay(withKeys: boolean): Promise<Line[]> {
  const keys = withKeys ? ['--key-store', keyStore, '--master-key', masterKey] : [];
  const r = await runCli(['replay', '--wal', walDir, ...keys]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const attr = (l: Line, key: string) => l.record.attributes.find((kv) => kv.key === key)?.value;
const bodyField = (l: Line, key: string) =>
  l.record.body.kvlistValue.values.find((kv) => kv.key === key)?.value;
const subjectOf = (l: Line) => attr(l, 'user.id')?.['stringValue'];

function ring(): KeyRing {
  const r = new KeyRing();
  r.add(createPublicKey(signing.publicKeyPem));
  return r;
}

describe('crypto-shredding through the service', () => {
  it('encrypts per subject, shreds one subject, keeps the chain verifiable and the pseudonyms stable', async () => {
    await run([event('a', 1), event('b', 2), event('a', 3), event('b', 4), event('a', 5)]);

    // On disk: no clear text of any protected field.
    const walBytes = readdirSync(walDir, { recursive: true })
      .map((f) => path.join(walDir, String(f)))
      .filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    expect(walBytes).toContain('payment.authorized'); // the segments were read: clear fields are there
    for (const secret of ['alice@example.com', 'ALICE A', 'note 1 of Alice', 'Alice']) {
      expect(walBytes.includes(secret), secret).toBe(false);
    }
    const stored = walRecords(walDir);
    expect(stored).toHaveLength(5);
    expect(stored.every((r) => r.attributes.some((kv) => kv.key === 'audit.integrity.hash'))).toBe(true);

    // With the key store: everything decrypts.
    let lines = await replay(true);
    expect(lines.map(subjectOf)).toEqual(['user-a', 'user-b', 'user-a', 'user-b', 'user-a']);
    expect(attr(lines[0]!, 'card.holder')).toEqual({ stringValue: 'ALICE A' });
    expect(bodyField(lines[1]!, 'details')).toEqual({
      kvlistValue: {
        values: [
          { key: 'note', value: { stringValue: 'note 2 of Bob' } },
          { key: 'amount', value: { intValue: '102' } },
        ],
      },
    });
    // Without it: ciphertext only.
    const raw = await replay(false);
    expect(attr(raw[0]!, 'card.holder')?.['stringValue']).toMatch(/^enc:v1:[0-9a-f]{32}\.[0-9a-f]{12}:/);
    const tokenA = attr(raw[0]!, 'user.email')?.['stringValue'] as string;
    expect(tokenA).toMatch(/^pseu:[0-9a-f]{16}:[A-Za-z0-9_-]{22}:[0-9a-f]{16}:/);
    expect(attr(raw[2]!, 'user.email')?.['stringValue']).toBe(tokenA);
    expect(attr(raw[1]!, 'user.email')?.['stringValue']).not.toBe(tokenA);

    // Shred subject A.
    const shred = await runCli([
      'keys',
      'shred',
      '--key-store',
      keyStore,
      '--master-key',
      masterKey,
      '--subject',
      'user-a',
    ]);
    expect(shred.code).toBe(0);
    expect(shred.stdout).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{12}\n$/);
    expect(attr(raw[0]!, 'card.holder')?.['stringValue']).toContain(`:${shred.stdout.trim()}:`);

    lines = await replay(true);
    lines.forEach((l, i) => {
      const a = subjectOf(l) === 'user-a';
      expect(attr(l, 'card.holder')?.['stringValue']).toBe(a ? '[shredded]' : 'BOB B');
      expect(bodyField(l, 'details')?.['stringValue']).toBe(a ? '[shredded]' : undefined);
      // pseudonyms are not encrypted: unchanged by the shred
      expect(attr(l, 'user.email')).toEqual(attr(raw[i]!, 'user.email'));
    });
    expect(bodyField(lines[3]!, 'details')).toMatchObject({ kvlistValue: expect.anything() });

    // The chain and signatures cover the ciphertext: still intact.
    const report = verifyWal({ dir: walDir, keys: ring() });
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);

    // Restart: the same values give the same tokens; A comes back with a NEW key.
    await run([event('a', 6)]);
    const after = await replay(true);
    expect(after).toHaveLength(6);
    const sixth = after[5]!;
    expect(attr(sixth, 'card.holder')).toEqual({ stringValue: 'ALICE A' });
    const rawAfter = await replay(false);
    expect(attr(rawAfter[5]!, 'user.email')?.['stringValue']).toBe(tokenA);
    expect(verifyWal({ dir: walDir, keys: ring() }).ok).toBe(true);

    // Reidentify: only with the reversal key.
    const seq = raw[0]!.seq;
    const ok = await runCli(['reidentify', '--key', reversalKey, '--wal', walDir, '--seq', String(seq)]);
    expect(ok.code).toBe(0);
    expect(
      ok.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { seq, path: 'attributes/user.email', token: tokenA, value: { stringValue: 'alice@example.com' } },
      {
        seq,
        path: 'body/actor/name',
        token: expect.stringMatching(/^pseu:/),
        value: { stringValue: 'Alice' },
      },
    ]);
    const single = await runCli(['reidentify', '--key', reversalKey, '--token', tokenA]);
    expect(JSON.parse(single.stdout)).toEqual({ token: tokenA, value: { stringValue: 'alice@example.com' } });
    for (const wrong of [pseudonymKey, masterKey]) {
      const r = await runCli(['reidentify', '--key', wrong, '--token', tokenA]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^otel-audit: KEY_NOT_FOUND: the token needs reversal key [0-9a-f]{16}/);
    }
  });
});
