import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { deriveReversalKey, parsePseudonymToken, reidentifyToken } from '../../src/privacy/pseudonym.ts';
import { secretKeyFromBytes } from '../../src/privacy/SecretKey.ts';
import { writeKeyFile } from '../../src/privacy/testutil/keys.ts';
import { kvlist, type AnyValue, type KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { auditPseudonymizeConfigSchema } from './config.ts';
import { auditPseudonymizeProcessorFactory } from './factory.ts';

const tmp = makeTempDir('otel-audit-pseudonymize-');
afterAll(() => tmp.cleanup());
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const reversal = randomBytes(32).toString('base64');
const idOf = (b64: string) => secretKeyFromBytes(Buffer.from(b64, 'base64'), 'k').id;

async function processor(config: Record<string, unknown>) {
  const settings = { ...testSettings('audit_pseudonymize'), baseDir: tmp.dir };
  const p = auditPseudonymizeProcessorFactory.create(settings, auditPseudonymizeConfigSchema.parse(config));
  await p.start?.();
  return { p, lines: settings.logger.lines };
}

async function run(config: Record<string, unknown>, record: AuditRecord): Promise<AuditRecord> {
  (await processor(config)).p.process(auditRecordView(record));
  return record;
}

const attrs = (...entries: [string, AnyValue][]): KeyValue[] =>
  entries.map(([key, value]) => ({ key, value }));
const base = { attributes: [], body_paths: [], reversal_keys: [], keys: [{ value: keyA }] };
const ALL_KINDS: [string, AnyValue][] = [
  ['s', 'alice'],
  ['b', true],
  ['i', -7n],
  ['d', 1.5],
  ['y', Uint8Array.of(1, 2, 3)],
  ['a', ['x', 1n]],
  ['m', kvlist([['k', 'v']])],
  ['e', null],
];

describe('audit_pseudonymize', () => {
  it('replaces every value kind by a token of the active key, and leaves other attributes alone', async () => {
    const names = ALL_KINDS.map(([k]) => k);
    const record = await run(
      { ...base, attributes: names },
      createAuditRecord({ attributes: attrs(...ALL_KINDS, ['keep', 'me']) }),
    );
    const tokens = record.attributes.slice(0, ALL_KINDS.length).map((kv) => kv.value as string);
    for (const token of tokens) expect(parsePseudonymToken(token)?.keyId).toBe(idOf(keyA));
    expect(new Set(tokens).size).toBe(ALL_KINDS.length);
    expect(record.attributes.map((kv) => kv.key)).toEqual([...names, 'keep']);
    expect(record.attributes.at(-1)).toEqual({ key: 'keep', value: 'me' });
  });

  it('is deterministic across processors (restarts) and recognisable after key rotation', async () => {
    const make = () => createAuditRecord({ attributes: attrs(['user.id', 'u-1']) });
    const first = (await run({ ...base, attributes: ['user.id'] }, make())).attributes[0]?.value;
    const again = (await run({ ...base, attributes: ['user.id'] }, make())).attributes[0]?.value;
    expect(again).toBe(first);
    const rotated = { ...base, attributes: ['user.id'], keys: [{ value: keyB }, { value: keyA }] };
    const newToken = (await run(rotated, make())).attributes[0]?.value as string;
    expect(parsePseudonymToken(newToken)?.keyId).toBe(idOf(keyB));
    // an old token (key A, still configured) is not tokenized again
    const old = createAuditRecord({ attributes: attrs(['user.id', first as string]) });
    expect((await run(rotated, old)).attributes[0]?.value).toBe(first);
  });

  it('follows dotted paths into kvlist attributes and bodies, every duplicate included', async () => {
    const record = createAuditRecord({
      attributes: attrs([
        'actor',
        kvlist([
          ['email', 'a@x'],
          ['role', 'admin'],
        ]),
      ]),
      body: kvlist([
        [
          'user',
          kvlist([
            ['email', 'b@x'],
            ['email', 'c@x'],
          ]),
        ],
        ['action', 'login'],
      ]),
    });
    const out = await run(
      { ...base, attributes: ['actor.email'], body_paths: ['user.email', 'absent.path'] },
      record,
    );
    const actor = out.attributes[0]?.value as { values: KeyValue[] };
    expect(actor.values[0]?.value).toMatch(/^pseu:/);
    expect(actor.values[1]).toEqual({ key: 'role', value: 'admin' });
    const user = (out.body as { values: KeyValue[] }).values[0]?.value as { values: KeyValue[] };
    expect(user.values.map((kv) => kv.value)).toEqual([
      expect.stringMatching(/^pseu:/),
      expect.stringMatching(/^pseu:/),
    ]);
    expect((out.body as { values: KeyValue[] }).values[1]).toEqual({ key: 'action', value: 'login' });
  });

  it('leaves no clear-text duplicate of a top-level attribute', async () => {
    const out = await run(
      { ...base, attributes: ['user.id'] },
      createAuditRecord({ attributes: attrs(['user.id', 'x'], ['other', 1n], ['user.id', 'y']) }),
    );
    expect(out.attributes).toEqual([
      { key: 'other', value: 1n },
      { key: 'user.id', value: expect.stringMatching(/^pseu:/) },
    ]);
  });

  it('makes reversible tokens with the reversal key, which only that key reverses', async () => {
    const config = { ...base, attributes: ['user.email'], reversal_keys: [{ value: reversal }] };
    const make = () => createAuditRecord({ attributes: attrs(['user.email', 'alice@example.com']) });
    const token = (await run(config, make())).attributes[0]?.value as string;
    expect((await run(config, make())).attributes[0]?.value).toBe(token);
    const plain = (await run({ ...base, attributes: ['user.email'] }, make())).attributes[0]?.value as string;
    expect(token.startsWith(`${plain}:`)).toBe(true);
    const reversalKey = deriveReversalKey(secretKeyFromBytes(Buffer.from(reversal, 'base64'), 'r'));
    expect(reidentifyToken(token, reversalKey)).toBe('alice@example.com');
    const pseudonymKeyAsReversal = deriveReversalKey(secretKeyFromBytes(Buffer.from(keyA, 'base64'), 'p'));
    expect(() => reidentifyToken(token, pseudonymKeyAsReversal)).toThrow(
      expect.objectContaining({ code: 'KEY_NOT_FOUND' }),
    );
  });

  it('reads keys from files and the environment, and refuses unusable keys at start', async () => {
    writeKeyFile(tmp.dir, 'p.key');
    await expect(processor({ ...base, keys: [{ file: 'p.key' }] })).resolves.toBeDefined();
    process.env['OTEL_AUDIT_TEST_PSEUDONYM_KEY'] = keyA;
    await expect(
      processor({ ...base, keys: [{ env: 'OTEL_AUDIT_TEST_PSEUDONYM_KEY' }] }),
    ).resolves.toBeDefined();
    delete process.env['OTEL_AUDIT_TEST_PSEUDONYM_KEY'];
    await expect(
      processor({ ...base, keys: [{ env: 'OTEL_AUDIT_TEST_PSEUDONYM_KEY' }] }),
    ).rejects.toMatchObject({
      code: 'KEY_INVALID',
    });
    await expect(processor({ ...base, keys: [{ file: 'missing.key' }] })).rejects.toThrow(/missing\.key/);
    const short = randomBytes(16).toString('base64');
    await expect(processor({ ...base, keys: [{ value: short }] })).rejects.toThrow(
      /must be 32 bytes, got 16/,
    );
    await expect(processor({ ...base, keys: [{ value: keyA }, { value: keyA }] })).rejects.toThrow(/twice/);
    await expect(processor({ ...base, reversal_keys: [{ value: keyA }] })).rejects.toThrow(
      /both a pseudonym and a reversal key/,
    );
  });

  it('warns when it has nothing to do, and refuses records before start', async () => {
    const { lines } = await processor(base);
    expect(lines).toEqual([expect.stringMatching(/^warn: .*no attributes and no body_paths/)]);
    const p = auditPseudonymizeProcessorFactory.create(
      testSettings('x'),
      auditPseudonymizeConfigSchema.parse(base),
    );
    expect(() => p.process(auditRecordView(createAuditRecord()))).toThrow(
      expect.objectContaining({ code: 'LIFECYCLE' }),
    );
  });
});
