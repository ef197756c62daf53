/** The redaction processor against the Collector contrib's semantics (processor.go, processor_test.go). */
import { describe, expect, it } from 'vitest';
import { kvlist, type AnyValue, type KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { createDefaultRedactionConfig, redactionConfigSchema } from './config.ts';
import { redactionProcessorFactory } from './factory.ts';

function redact(
  config: Record<string, unknown>,
  attributes: [string, AnyValue][],
  body?: AnyValue,
): AuditRecord {
  const parsed = redactionConfigSchema.parse({ ...createDefaultRedactionConfig(), ...config });
  const record = createAuditRecord({
    attributes: attributes.map(([key, value]): KeyValue => ({ key, value })),
    ...(body === undefined ? {} : { body }),
  });
  redactionProcessorFactory.create(testSettings('redaction'), parsed).process(auditRecordView(record));
  return record;
}
const get = (record: AuditRecord, key: string) => record.attributes.find((a) => a.key === key)?.value;
const VISA = '4[0-9]{12}(?:[0-9]{3})?';

describe('attributes', () => {
  it('removes keys that are not allowed (TestRedactUnknownAttributes)', () => {
    const r = redact({ allowed_keys: ['group', 'id', 'name'] }, [
      ['group', 'temporary'],
      ['id', 5n],
      ['name', 'placeholder'],
      ['credit_card', '4111111111111111'],
    ]);
    expect(r.attributes).toEqual([
      { key: 'group', value: 'temporary' },
      { key: 'id', value: 5n },
      { key: 'name', value: 'placeholder' },
    ]);
  });

  it('removes every attribute with the default configuration (fails closed)', () => {
    expect(redact({}, [['a', 'b']]).attributes).toEqual([]);
  });

  it('masks blocked values with allow_all_keys and keeps allowed values (TestAllowAllKeysMaskValues)', () => {
    const r = redact({ allowed_keys: ['group'], allow_all_keys: true, blocked_values: [VISA] }, [
      ['credit_card', 'placeholder 4111111111111111'],
      ['email', 'user@mycompany.com'],
      ['id', 5n],
    ]);
    expect(get(r, 'credit_card')).toBe('placeholder ****');
    expect(get(r, 'email')).toBe('user@mycompany.com');
    expect(get(r, 'id')).toBe(5n);
  });

  it('writes the debug summary (TestRedactSummaryDebug)', () => {
    const r = redact(
      {
        allowed_keys: [
          'id',
          'group',
          'name',
          'group.id',
          'member (id)',
          'token_some',
          'api_key_some',
          'email',
        ],
        blocked_values: [VISA],
        ignored_keys: ['safe_attribute'],
        ignored_key_patterns: ['safeRE_attribute.*'],
        blocked_key_patterns: ['.*(token|api_key).*'],
        allowed_values: ['.+@mycompany.com'],
        summary: 'debug',
      },
      [
        ['id', 5n],
        ['group.id', 'some.valid.id'],
        ['member (id)', 'some other valid id'],
        ['name', 'placeholder 4111111111111111'],
        ['safe_attribute', 'harmless 4111111111111112'],
        ['safeRE_attribute_id', 'safe id'],
        ['safeRE_attribute_source', 'safe source'],
        ['credit_card', '4111111111111111'],
        ['token_some', 'tokenize'],
        ['api_key_some', 'apinize'],
        ['email', 'user@mycompany.com'],
      ],
    );
    expect(get(r, 'credit_card')).toBeUndefined();
    expect(get(r, 'name')).toBe('placeholder ****');
    expect(get(r, 'token_some')).toBe('****');
    expect(get(r, 'safe_attribute')).toBe('harmless 4111111111111112');
    expect(get(r, 'redaction.redacted.keys')).toBe('credit_card');
    expect(get(r, 'redaction.redacted.count')).toBe(1n);
    expect(get(r, 'redaction.masked.keys')).toBe('api_key_some,name,token_some');
    expect(get(r, 'redaction.masked.count')).toBe(3n);
    expect(get(r, 'redaction.allowed.keys')).toBe('email');
    expect(get(r, 'redaction.allowed.count')).toBe(1n);
    expect(get(r, 'redaction.ignored.count')).toBe(3n);
  });

  it('writes counts only with info, nothing with silent or an unknown level', () => {
    const attrs: [string, AnyValue][] = [
      ['a', '4111111111111111'],
      ['b', 'x'],
    ];
    const info = redact({ allowed_keys: ['a'], blocked_values: [VISA], summary: 'info' }, attrs);
    expect(info.attributes.map((a) => a.key)).toEqual([
      'a',
      'redaction.redacted.count',
      'redaction.masked.count',
    ]);
    for (const summary of ['silent', 'verbose', '']) {
      expect(redact({ allowed_keys: ['a'], blocked_values: [VISA], summary }, attrs).attributes).toEqual([
        { key: 'a', value: '****' },
      ]);
    }
  });

  it('keeps and adds to the summary of an earlier redaction processor', () => {
    const config = { allowed_keys: ['a', 'b'], blocked_values: [VISA], summary: 'debug' };
    const r = redact(config, [
      ['a', '4111111111111111'],
      ['redaction.masked.keys', 'z'],
      ['redaction.masked.count', 1n],
    ]);
    expect(get(r, 'redaction.masked.keys')).toBe('a,z');
    expect(get(r, 'redaction.masked.count')).toBe(2n);
  });

  it('hashes matches with the hash functions', () => {
    const pan = '4111111111111111';
    const digests: [string, string, string][] = [
      ['md5', '', '5910f4ea0062a0e29afd3dccc741e3ce'],
      ['sha1', '', '68bfb396f35af3876fc509665b3dc23a0930aab1'],
      ['SHA3', '', '6099154214406cce6105a4688ab66533d3a55d1d7dd393cbccf22b487a22d922'],
      ['hmac-sha256', 'k'.repeat(32), '68461c4333f0d6ffc13ab17a895ccb61b6a8864e96602c4e91c869cfb9ccc6f1'],
    ];
    for (const [hash_function, hmac_key, digest] of digests) {
      const r = redact({ allow_all_keys: true, blocked_values: [VISA], hash_function, hmac_key }, [
        ['c', `pan ${pan}`],
      ]);
      expect(get(r, 'c')).toBe(`pan ${digest}`);
    }
  });

  it('treats non-string values as "" unless redact_all_types', () => {
    const attrs: [string, AnyValue][] = [
      ['n', 4111111111111111n],
      ['token', 12n],
    ];
    const config = { allow_all_keys: true, blocked_values: [VISA], blocked_key_patterns: ['token'] };
    const plain = redact(config, attrs);
    expect(get(plain, 'n')).toBe(4111111111111111n);
    expect(get(plain, 'token')).toBe('****'); // the contrib masks Str() == "" of a blocked key
    const all = redact({ ...config, redact_all_types: true }, attrs);
    expect(get(all, 'n')).toBe('****');
  });

  it('replaces like Go: an empty match right after a match is ignored, lines are masked one by one', () => {
    const r = redact({ allow_all_keys: true, blocked_key_patterns: ['secret'] }, [
      ['secret', 'abc'],
      ['secret2', 'line1\nline2'],
    ]);
    expect(get(r, 'secret')).toBe('****');
    expect(get(r, 'secret2')).toBe('****\n****');
    expect(get(redact({ allow_all_keys: true, blocked_values: ['x*'] }, [['v', 'axxb']]), 'v')).toBe(
      '****a****b****',
    );
  });

  it('masks a value too long to test with a user pattern whole (fails closed)', () => {
    const r = redact({ allow_all_keys: true, blocked_values: ['never'] }, [['v', 'a'.repeat(20_000)]]);
    expect(get(r, 'v')).toBe('****');
  });
});

describe('body', () => {
  const config = {
    allowed_keys: ['user', 'name', 'cards', 'note', 'safe', 'password'],
    ignored_keys: ['safe'],
    blocked_key_patterns: ['^pass'],
    blocked_values: [VISA],
    summary: 'debug',
  };

  it('walks a map body: removes, masks, recurses; writes redaction.body.*', () => {
    const body = kvlist([
      [
        'user',
        kvlist([
          ['name', 'bob'],
          ['password', 'x'],
          ['ssn', '1'],
        ]),
      ],
      ['cards', ['4111111111111111', 'none']],
      ['password', 7n],
      ['safe', '4111111111111111'],
      ['other', 'y'],
    ]);
    const r = redact(config, [], body);
    expect(r.body).toEqual(
      kvlist([
        [
          'user',
          kvlist([
            ['name', 'bob'],
            ['password', '****'],
          ]),
        ],
        ['cards', ['****', 'none']],
        ['password', '****'],
        ['safe', '4111111111111111'],
      ]),
    );
    expect(get(r, 'redaction.body.redacted.keys')).toBe('other,user.ssn');
    expect(get(r, 'redaction.body.masked.keys')).toBe('cards.[0],password,user.password');
    expect(get(r, 'redaction.body.masked.count')).toBe(3n);
    expect(get(r, 'redaction.body.ignored.count')).toBe(1n);
  });

  it('masks a string body, and writes no summary for a scalar body allowed by allowed_values', () => {
    const r = redact(config, [], 'paid 4111111111111111');
    expect(r.body).toBe('paid ****');
    expect(get(r, 'redaction.body.masked.keys')).toBe('body');
    const allowed = redact({ ...config, allowed_values: ['^paid'] }, [], 'paid 4111111111111111');
    expect(allowed.body).toBe('paid 4111111111111111');
    expect(allowed.attributes).toEqual([]);
  });

  it('walks a list body with [i] paths', () => {
    const r = redact(config, [], ['4111111111111111', kvlist([['note', '4111111111111111']])]);
    expect(r.body).toEqual(['****', kvlist([['note', '****']])]);
    expect(get(r, 'redaction.body.masked.keys')).toBe('[0],[1].note');
  });
});
