import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { decryptValue, parseEncryptedValue } from '../../src/privacy/encryptedValue.ts';
import { KeyStore } from '../../src/privacy/KeyStore.ts';
import { RecordDecryptor } from '../../src/privacy/RecordDecryptor.ts';
import { SecretKeyRing, secretKeyFromBytes } from '../../src/privacy/SecretKey.ts';
import { anyValueEquals } from '../../src/record/anyValueOps.ts';
import { kvlist, type AnyValue, type KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { auditEncryptConfigSchema } from './config.ts';
import { auditEncryptProcessorFactory } from './factory.ts';

const tmp = makeTempDir('otel-audit-encrypt-');
afterAll(() => tmp.cleanup());
const master = randomBytes(32).toString('base64');
let n = 0;

interface Setup {
  readonly dir: string;
  run(record: AuditRecord): AuditRecord;
  process(view: ReturnType<typeof auditRecordView>): void;
  store(): KeyStore;
  reveal(record: AuditRecord, problems?: string[]): AuditRecord;
}

async function setup(
  config: Record<string, unknown>,
  dir = path.join(tmp.dir, `keys-${n++}`),
): Promise<Setup> {
  const full = { key_store: { directory: dir, master_keys: [{ value: master }] }, ...config };
  const p = auditEncryptProcessorFactory.create(
    testSettings('audit_encrypt'),
    auditEncryptConfigSchema.parse({
      ...(auditEncryptProcessorFactory.createDefaultConfig() as object),
      ...full,
    }),
  );
  await p.start?.();
  const store = () =>
    KeyStore.open({
      directory: dir,
      masterKeys: new SecretKeyRing([secretKeyFromBytes(Buffer.from(master, 'base64'), 'm')], 'master'),
      create: false,
    });
  return {
    dir,
    // As the pipeline does before anything reaches an exporter: new keys are written and synced.
    run: (record) => {
      p.process(auditRecordView(record));
      p.flushBeforeExportSync?.();
      return record;
    },
    process: (view) => {
      p.process(view);
      p.flushBeforeExportSync?.();
    },
    store,
    reveal: (record, problems = []) => new RecordDecryptor(store()).reveal(record, (m) => problems.push(m)),
  };
}

const attrs = (...entries: [string, AnyValue][]): KeyValue[] =>
  entries.map(([key, value]) => ({ key, value }));
const ALL_KINDS: [string, AnyValue][] = [
  ['s', 'alice@example.com'],
  ['b', false],
  ['i', -(2n ** 63n)],
  ['d', -0],
  ['nan', NaN],
  ['y', Uint8Array.of(0, 255)],
  ['a', ['x', [1n, null]]],
  [
    'm',
    kvlist([
      ['k', 'v'],
      ['k', 2.5],
    ]),
  ],
  ['e', null],
];
const subjectAttr = (id: AnyValue) => ({ key: 'user.id', value: id });
const isEncrypted = (v: AnyValue | undefined) =>
  typeof v === 'string' && parseEncryptedValue(v) !== undefined;

describe('audit_encrypt', () => {
  it('encrypts every value kind, in attributes and as the body, and decrypts them exactly', async () => {
    const s = await setup({ body: true, attributes: ALL_KINDS.map(([k]) => k) });
    for (const [, value] of ALL_KINDS) {
      const original = createAuditRecord({
        timeUnixNano: 1_700_000_000_000_000_000n,
        attributes: [subjectAttr('u-1'), ...attrs(...ALL_KINDS)],
        body: value,
      });
      const record = s.run(structuredClone(original));
      expect(record.attributes[0]).toEqual(subjectAttr('u-1'));
      expect(record.attributes.slice(1).every((kv) => isEncrypted(kv.value))).toBe(true);
      expect(isEncrypted(record.body)).toBe(true);
      const problems: string[] = [];
      const shown = s.reveal(record, problems);
      expect(problems).toEqual([]);
      expect(anyValueEquals(shown.body as AnyValue, value)).toBe(true);
      shown.attributes.forEach((kv, i) =>
        expect(anyValueEquals(kv.value, original.attributes[i]!.value)).toBe(true),
      );
    }
  });

  it('uses one key per subject (string or int), a shared default key for subject-less records', async () => {
    const s = await setup({ attributes: ['secret'] });
    const keyOf = (subject?: AnyValue) =>
      parseEncryptedValue(
        s
          .run(
            createAuditRecord({
              attributes: [
                ...(subject === undefined ? [] : [subjectAttr(subject)]),
                ...attrs(['secret', 'x']),
              ],
            }),
          )
          .attributes.find((kv) => kv.key === 'secret')?.value as string,
      )?.keyId;
    expect(keyOf('a')).toBe(keyOf('a'));
    expect(keyOf('a')).not.toBe(keyOf('b'));
    expect(keyOf(42n)).toBe(keyOf('42'));
    expect(keyOf()).toBe(keyOf(true)); // a bool is no subject: the default key
    expect(keyOf()).not.toBe(keyOf('a'));
    expect(s.store().keyForSubject('a').id).toBe(keyOf('a'));
  });

  it('reads the subject by field path: a key equal to the whole path first, else nested', async () => {
    const s = await setup({ attributes: ['secret'], subject_attribute: 'user.id' });
    const keyOf = (attributes: KeyValue[]) =>
      parseEncryptedValue(
        s
          .run(createAuditRecord({ attributes: [...attributes, ...attrs(['secret', 'x'])] }))
          .attributes.find((kv) => kv.key === 'secret')?.value as string,
      )?.keyId;
    const nested = keyOf(attrs(['user', kvlist([['id', 'n1']])]));
    expect(nested).toBe(s.store().keyForSubject('n1').id);
    // Both spellings present: the attribute named by the whole path wins.
    expect(keyOf(attrs(['user', kvlist([['id', 'n1']])], ['user.id', 'flat']))).toBe(
      s.store().keyForSubject('flat').id,
    );
  });

  it('does not copy every attribute to look for a missing subject under a plain (undotted) name', async () => {
    const s = await setup({ attributes: [], subject_attribute: 'user', missing_subject: 'default_key' });
    const view = auditRecordView(createAuditRecord({ attributes: attrs(['other', 'x']) }));
    const copies = vi.spyOn(view, 'attributes');
    s.process(view);
    expect(copies).not.toHaveBeenCalled();
  });

  it('refuses subject-less records with missing_subject: refuse, changing nothing', async () => {
    const s = await setup({ attributes: ['secret'], missing_subject: 'refuse' });
    const record = createAuditRecord({ attributes: attrs(['secret', 'x']) });
    expect(() => s.run(record)).toThrow(
      expect.objectContaining({ code: 'PIPELINE_PERMANENT', retryable: false }),
    );
    expect(record.attributes).toEqual(attrs(['secret', 'x']));
    // nothing to encrypt: no subject needed, no key created
    s.run(createAuditRecord({ attributes: attrs(['other', 'x']) }));
    expect(readdirSync(path.join(s.dir, 'keys'))).toEqual([]);
  });

  it('encrypts body paths and nested attributes, and leaves encrypted values alone', async () => {
    const s = await setup({ body_paths: ['card.number'], attributes: ['client.address', 'user.id'] });
    const record = s.run(
      createAuditRecord({
        attributes: [subjectAttr('u-9'), ...attrs(['client', kvlist([['address', '10.0.0.1']])])],
        body: kvlist([
          [
            'card',
            kvlist([
              ['number', '4111111111111111'],
              ['brand', 'visa'],
            ]),
          ],
        ]),
      }),
    );
    const card = ((record.body as { values: KeyValue[] }).values[0]!.value as { values: KeyValue[] }).values;
    expect(isEncrypted(card[0]!.value)).toBe(true);
    expect(card[1]).toEqual({ key: 'brand', value: 'visa' });
    expect(isEncrypted(record.attributes[0]!.value)).toBe(true); // the subject attribute itself, read first
    const again = s.run(structuredClone(record));
    expect(again).toEqual(record);
    const shown = s.reveal(record);
    expect(shown.attributes[0]).toEqual(subjectAttr('u-9'));
    expect(shown.body).toEqual(
      kvlist([
        [
          'card',
          kvlist([
            ['number', '4111111111111111'],
            ['brand', 'visa'],
          ]),
        ],
      ]),
    );
  });

  it('binds ciphertexts to key, field and record: tampered or moved values fail authentication', async () => {
    const s = await setup({ attributes: ['a', 'b'] });
    const record = s.run(
      createAuditRecord({
        timeUnixNano: 5n,
        attributes: [subjectAttr('u'), ...attrs(['a', 'one'], ['b', 'two'])],
      }),
    );
    const a = record.attributes[1]!.value as string;
    const b = record.attributes[2]!.value as string;
    const parsed = parseEncryptedValue(a)!;
    const key = s.store().keyById(parsed.keyId)!.key;
    expect(decryptValue(parsed, key, { path: ['attributes', 'a'], timeUnixNano: 5n })).toBe('one');
    const fails = (p: string[], t: bigint, k = key, v = parsed) =>
      expect(() => decryptValue(v, k, { path: p, timeUnixNano: t })).toThrow(
        expect.objectContaining({ code: 'DECRYPT_FAILED' }),
      );
    fails(['attributes', 'b'], 5n); // moved to another field
    fails(['attributes', 'a'], 6n); // moved to another record
    fails(['attributes', 'a'], 5n, s.store().keyForSubject('someone else').key); // wrong key
    const sealed = Buffer.from(parsed.sealed);
    sealed[20] = (sealed[20] as number) ^ 1;
    fails(['attributes', 'a'], 5n, key, { ...parsed, sealed }); // flipped bit

    const problems: string[] = [];
    const swapped = {
      ...record,
      attributes: [record.attributes[0]!, { key: 'a', value: b }, { key: 'b', value: a }],
    };
    const shown = s.reveal(swapped, problems);
    expect(shown.attributes.slice(1).map((kv) => kv.value)).toEqual(['[undecryptable]', '[undecryptable]']);
    expect(problems).toEqual([
      expect.stringMatching(/^attributes\/a: DECRYPT_FAILED: /),
      expect.stringMatching(/^attributes\/b: DECRYPT_FAILED: /),
    ]);
    expect(parseEncryptedValue(a.replace('enc:v1:', 'enc:v2:'))).toBeUndefined();
  });

  it('after a shred, that subject shows [shredded] and others still decrypt', async () => {
    const s = await setup({ body: true });
    const make = (id: string) =>
      s.run(createAuditRecord({ attributes: [subjectAttr(id)], body: `secret of ${id}` }));
    const a = make('a');
    const b = make('b');
    expect(s.store().shred('a')).toBeDefined();
    expect(s.reveal(a).body).toBe('[shredded]');
    expect(s.reveal(b).body).toBe('secret of b');
  });

  it('refuses a wrong master key at start, and reports key store failures as retryable', async () => {
    const s = await setup({ body: true });
    s.run(createAuditRecord({ attributes: [subjectAttr('a')], body: 'x' }));
    const other = randomBytes(32).toString('base64');
    const p = auditEncryptProcessorFactory.create(
      testSettings('audit_encrypt'),
      auditEncryptConfigSchema.parse({
        ...(auditEncryptProcessorFactory.createDefaultConfig() as object),
        body: true,
        key_store: { directory: s.dir, master_keys: [{ value: other }] },
      }),
    );
    await expect(p.start?.()).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });

    rmSync(path.join(s.dir, 'keys'), { recursive: true });
    writeFileSync(path.join(s.dir, 'keys'), 'not a directory');
    expect(() => s.run(createAuditRecord({ attributes: [subjectAttr('new')], body: 'x' }))).toThrow(
      expect.objectContaining({ code: 'KEY_STORE_IO', retryable: true }),
    );
  });
});
