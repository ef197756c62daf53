/** The audit_mask processor on records: actions, key rules, depth, limits, summary, both paths in. */
import { createHmac } from 'node:crypto';
import { LoggerProvider, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { kvlist } from '../../src/record/AnyValue.ts';
import { fromSdkLogRecord } from '../../src/record/fromSdkLogRecord.ts';
import { sdkLogRecordView } from '../../src/record/SdkLogRecordView.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { auditMaskConfigSchema } from './config.ts';
import { auditMaskProcessorFactory } from './factory.ts';
import { attr, mask, maskConfig, withBody } from './testing.ts';

const KEY = 'k'.repeat(32);
const ENV = 'AUDIT_MASK_TEST_KEY';
afterEach(() => {
  delete process.env[ENV];
});

describe('actions', () => {
  it('redacts with the template or a configured text', () => {
    expect(mask(withBody('mail bob@example.com now')).body).toBe('mail [REDACTED:email] now');
    expect(
      mask(withBody('mail bob@example.com'), { detectors: { email: { replacement: '<email>' } } }).body,
    ).toBe('mail <email>');
    expect(mask(withBody('bob@example.com'), { redaction_template: '***{type}***' }).body).toBe(
      '***email***',
    );
  });

  it('partially masks: digit detectors lose their separators, keep_last characters stay, never more than half', () => {
    expect(mask(withBody('card 4111-1111-1111-1111')).body).toBe('card ************1111');
    const phone = mask(withBody('+1 (415) 555-0123'), {
      detectors: { phone: { action: 'partial', keep_last: 4 } },
    });
    expect(phone.body).toBe('*******0123'); // digits only, like cards
    const ip = mask(withBody('10.0.0.1'), { detectors: { ipv4: { action: 'partial', keep_last: 20 } } });
    expect(ip.body).toBe('****.0.1');
  });

  it('hashes with a keyed HMAC: the same value (normalised) gives the same token', () => {
    process.env[ENV] = KEY;
    const config = {
      detectors: { email: { action: 'hash' }, credit_card: { action: 'hash' } },
      hash_key: { env: ENV, file: '' },
    };
    const token = `hmac:${createHmac('sha256', KEY).update('bob@example.com').digest('hex').slice(0, 16)}`;
    expect(mask(withBody('to Bob@Example.com'), config).body).toBe(`to ${token}`);
    expect(mask(withBody('to bob@example.com'), config).body).toBe(`to ${token}`);
    const a = mask(withBody('4111 1111 1111 1111'), config).body;
    expect(a).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(mask(withBody('4111-1111-1111-1111'), config).body).toBe(a);
  });

  it('drops the attribute or map entry holding the value; a body string is redacted instead', () => {
    const config = { detectors: { email: { action: 'drop' } } };
    const record = mask(
      withBody(
        kvlist([
          ['contact', 'bob@example.com'],
          ['ok', 'fine'],
          ['list', ['x', 'a@example.com']],
        ]),
        [
          { key: 'user.email', value: 'bob@example.com' },
          { key: 'keep', value: 'v' },
        ],
      ),
      config,
    );
    expect(record.attributes.map((a) => a.key)).toEqual(['keep', 'audit.mask.count', 'audit.mask.types']);
    expect(record.body).toEqual(
      kvlist([
        ['ok', 'fine'],
        ['list', ['x', '[REDACTED:email]']],
      ]),
    );
    expect(mask(withBody('mail bob@example.com'), config).body).toBe('mail [REDACTED:email]');
  });
});

describe('keys', () => {
  it('masks the whole value of sensitive keys at any depth, matched by words', () => {
    const record = mask(
      withBody(
        kvlist([
          [
            'user',
            kvlist([
              ['apiKey', 'xyz'],
              ['name', 'bob'],
            ]),
          ],
        ]),
        [
          { key: 'http.request.header.authorization', value: 'Basic abc' },
          { key: 'db.password', value: 42n },
          { key: 'password_changed_at', value: '2024-01-01' },
          { key: 'token_count', value: 7n },
          { key: 'empty_secret', value: '' },
        ],
      ),
    );
    expect(attr(record, 'http.request.header.authorization')).toBe('[REDACTED:sensitive_key]');
    expect(attr(record, 'db.password')).toBe('[REDACTED:sensitive_key]');
    expect(attr(record, 'password_changed_at')).toBe('2024-01-01');
    expect(attr(record, 'token_count')).toBe(7n);
    expect(attr(record, 'empty_secret')).toBe('');
    expect(record.body).toEqual(
      kvlist([
        [
          'user',
          kvlist([
            ['apiKey', '[REDACTED:sensitive_key]'],
            ['name', 'bob'],
          ]),
        ],
      ]),
    );
  });

  it('never touches allow_keys (exact, case-insensitive) and removes block_keys', () => {
    const record = mask(
      withBody(
        kvlist([
          ['SSN', '123-45-6789'],
          ['internal_notes', 'x'],
        ]),
        [
          { key: 'Source.IP', value: '10.1.2.3' },
          { key: 'client.ip', value: '10.1.2.3' },
          { key: 'debug.internal_notes', value: 'secret stuff' },
        ],
      ),
      { allow_keys: ['source.ip'], block_keys: ['internal_notes'] },
    );
    expect(attr(record, 'Source.IP')).toBe('10.1.2.3');
    expect(attr(record, 'client.ip')).toBe('[REDACTED:ipv4]');
    expect(attr(record, 'debug.internal_notes')).toBeUndefined();
    expect(record.body).toEqual(kvlist([['SSN', '[REDACTED:ssn]']]));
    expect(attr(record, 'audit.mask.types')).toEqual(['blocked_key', 'ipv4', 'ssn']);
  });

  it('scans long ints as their digits', () => {
    const record = mask(
      withBody(null, [
        { key: 'card', value: 4111111111111111n },
        { key: 'n', value: 12345n },
      ]),
    );
    expect(attr(record, 'card')).toBe('************1111');
    expect(attr(record, 'n')).toBe(12345n);
  });
});

describe('limits', () => {
  it('redacts what is past the scan budget and counts the unscanned bytes', () => {
    const big = `${'x'.repeat(2000)} bob@example.com`;
    const record = mask(withBody(big, [{ key: 'a', value: 'first bob@example.com' }]), {
      scan_bytes_max: 1024,
    });
    expect(attr(record, 'a')).toBe('first [REDACTED:email]');
    expect(record.body).toBe(`${'x'.repeat(1024 - 'first bob@example.com'.length)}[REDACTED:scan_limit]`);
    expect(attr(record, 'audit.mask.types')).toEqual(['email', 'scan_limit']);
    expect(attr(record, 'audit.mask.unscanned_bytes')).toBe(BigInt(big.length - (1024 - 21)));
  });

  it('redacts strings after the budget is spent, without splitting a surrogate pair', () => {
    const record = mask(withBody('😀'.repeat(600), [{ key: 'b', value: 'later' }]), { scan_bytes_max: 1024 });
    expect(attr(record, 'b')).toBe('later'); // attributes are scanned first
    expect(String(record.body)).toBe(`${'😀'.repeat(254)}[REDACTED:scan_limit]`); // 254 × 4 bytes ≤ 1019
  });

  it('redacts containers deeper than depth_max', () => {
    const deep = kvlist([['a', kvlist([['b', kvlist([['c', 'x']])]])]]);
    const record = mask(withBody(deep), { depth_max: 2 });
    expect(record.body).toEqual(kvlist([['a', kvlist([['b', '[REDACTED:depth_limit]']])]]));
  });
});

describe('summary', () => {
  it('info: count and types; debug: also the paths; silent: nothing; unchanged records get none', () => {
    const make = () =>
      withBody('to bob@example.com', [
        { key: 'ip', value: '10.0.0.1' },
        { key: 'ok', value: 'x' },
      ]);
    const info = mask(make());
    expect(attr(info, 'audit.mask.count')).toBe(2n);
    expect(attr(info, 'audit.mask.types')).toEqual(['email', 'ipv4']);
    expect(attr(info, 'audit.mask.keys')).toBeUndefined();
    const debug = mask(make(), { summary: 'debug' });
    expect(attr(debug, 'audit.mask.keys')).toEqual(['attributes["ip"]', 'body']);
    const silent = mask(make(), { summary: 'silent' });
    expect(silent.attributes.map((a) => a.key)).toEqual(['ip', 'ok']);
    expect(mask(withBody('nothing here')).attributes).toEqual([]);
  });

  it('adds to a summary already on the record, and never masks it', () => {
    const record = withBody('bob@example.com');
    mask(record);
    record.body = 'again 10.0.0.1';
    mask(record);
    expect(attr(record, 'audit.mask.count')).toBe(2n);
    expect(attr(record, 'audit.mask.types')).toEqual(['email', 'ipv4']);
  });

  it('masks every duplicate of a masked key (the view keeps one entry per key)', () => {
    const record = mask(
      withBody(null, [
        { key: 'e', value: 'fine' },
        { key: 'e', value: 'bob@example.com' },
      ]),
    );
    expect(record.attributes.filter((a) => a.key === 'e')).toEqual([{ key: 'e', value: '[REDACTED:email]' }]);
  });
});

describe('in process', () => {
  it('masks OTel SDK records inside onEmit', () => {
    const processor = auditMaskProcessorFactory.create(
      testSettings('audit_mask'),
      auditMaskConfigSchema.parse(maskConfig()),
    );
    const captured: AuditRecord[] = [];
    const provider = new LoggerProvider({
      processors: [
        {
          onEmit: (record: ReadWriteLogRecord) => {
            processor.process(sdkLogRecordView(record));
            captured.push(fromSdkLogRecord(record));
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    provider.getLogger('lib').emit({
      body: { message: 'login', card: '4111 1111 1111 1111' },
      attributes: { 'user.email': 'bob@example.com', password: 'hunter2', count: 3 },
    });
    const record = captured[0];
    expect(record?.body).toEqual(
      kvlist([
        ['message', 'login'],
        ['card', '************1111'],
      ]),
    );
    expect(attr(record as AuditRecord, 'user.email')).toBe('[REDACTED:email]');
    expect(attr(record as AuditRecord, 'password')).toBe('[REDACTED:sensitive_key]');
    expect(attr(record as AuditRecord, 'audit.mask.count')).toBe(3n);
  });
});
