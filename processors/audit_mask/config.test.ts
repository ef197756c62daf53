import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { processorConfigTester } from '../../test/helpers/processorConfigTests.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { auditMaskConfigSchema } from './config.ts';
import { KeyMatcher, keyWords } from './engine/KeyMatcher.ts';
import { compileLinearRegex, PROGRAM_SIZE_MAX } from './engine/linearRegex.ts';
import { auditMaskProcessorFactory } from './factory.ts';
import { loadHashKey } from './hashKey.ts';
import { maskConfig } from './testing.ts';

const { issues, createGolden } = processorConfigTester(auditMaskProcessorFactory, import.meta.url);

describe('audit_mask configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(auditMaskProcessorFactory)).toEqual([]);
  });

  it('loads and creates every golden configuration', () => {
    process.env['AUDIT_MASK_HASH_KEY'] = 'x'.repeat(32);
    try {
      const processors = createGolden('config.yaml');
      expect(processors).toHaveLength(6);
      for (const processor of processors) expect(processor.mutates).toBe(true);
    } finally {
      delete process.env['AUDIT_MASK_HASH_KEY'];
    }
  });

  it('reports problems at their YAML path', () => {
    expect(issues('    detectors: { emial: { enabled: false } }')[0]).toMatch(/^detectors: .*emial/);
    expect(issues('    detectors: { email: { action: mask } }')[0]).toMatch(/^detectors::email::action: /);
    // Unbounded and nested repetition are fine in a linear-time engine; a too large program is not.
    expect(issues("    custom_patterns: [{ name: x, pattern: '[a-z]+@corp' }]")).toEqual([]);
    expect(issues("    custom_patterns: [{ name: x, pattern: '(a{1,5}){1,5}' }]")).toEqual([]);
    expect(issues("    custom_patterns: [{ name: x, pattern: '[a-z]{0,999}[0-9]{0,999}' }]")).toEqual([
      `custom_patterns[0]::pattern: pattern "[a-z]{0,999}[0-9]{0,999}" is too costly: its RE2 program has 3998 instructions, at most ${PROGRAM_SIZE_MAX} are accepted (matching work grows with input length × program size); use smaller repetition counts`,
    ]);
    expect(issues("    custom_patterns: [{ name: x, pattern: '(' }]")[0]).toMatch(
      /^custom_patterns\[0\]::pattern: invalid regular expression/,
    );
    expect(
      issues("    custom_patterns: [{ name: email, pattern: 'a' }, { name: Bad, pattern: 'b' }]"),
    ).toEqual([
      'custom_patterns[0]::name: "email" is already a detector name',
      'custom_patterns[1]::name: must be lower case letters, digits and "_", starting with a letter',
    ]);
    expect(issues('    detectors: { email: { action: hash } }')).toEqual([
      'hash_key: a detector uses action "hash": set hash_key::env or hash_key::file',
    ]);
    expect(issues('    hash_key: { env: A, file: b }')).toEqual([
      'hash_key: set one of "env" and "file", not both',
    ]);
    expect(issues('    scan_bytes_max: 10')[0]).toMatch(/^scan_bytes_max: /);
  });

  it('reads the hash key at creation and refuses a missing or short one (KEY_INVALID)', () => {
    const config = auditMaskConfigSchema.parse(
      maskConfig({
        detectors: { email: { action: 'hash' } },
        hash_key: { env: 'AUDIT_MASK_NO_SUCH_VAR', file: '' },
      }),
    );
    expect(() => auditMaskProcessorFactory.create(testSettings('audit_mask'), config)).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-mask-key-'));
    try {
      fs.writeFileSync(path.join(dir, 'short.key'), 'short\n');
      fs.writeFileSync(path.join(dir, 'good.key'), `${'k'.repeat(32)}\n`);
      const o = { component: 'audit_mask', baseDir: dir };
      expect(() => loadHashKey({ file: 'short.key' }, o)).toThrow(/has 5 bytes; at least 32/);
      expect(() => loadHashKey({ file: 'missing.key' }, o)).toThrow(/cannot read .*missing.key \(ENOENT\)/);
      expect(Buffer.from(loadHashKey({ file: 'good.key' }, o)).toString()).toBe('k'.repeat(32));
      expect(Buffer.from(loadHashKey({ env: 'K' }, { ...o, env: { K: 'e'.repeat(40) } })).length).toBe(40);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('key matching', () => {
  it('splits keys into words', () => {
    expect(keyWords('X-API-Key')).toEqual(['x', 'api', 'key']);
    expect(keyWords('userAPIKeys')).toEqual(['user', 'api', 'key']);
    expect(keyWords('http.request.header.set-cookie')).toEqual([
      'http',
      'request',
      'header',
      'set',
      'cookie',
    ]);
  });

  it('matches a name against the last words of a key', () => {
    const m = new KeyMatcher(['api_key', 'token', 'set-cookie', 'credential', 'auth']);
    for (const key of [
      'apiKey',
      'x-api-key',
      'APIKEY',
      'access_token',
      'refreshTokens',
      'Set-Cookie',
      'aws.credentials',
      'x-auth',
    ])
      expect(m.matches(key), key).toBe(true);
    for (const key of [
      'tokenizer',
      'token_count',
      'author',
      'oauth',
      'auth_method',
      'api_key_id',
      'cookie_consent',
    ])
      expect(m.matches(key), key).toBe(false);
  });
});

describe('custom patterns (RE2, linear time)', () => {
  const problem = (pattern: string) => {
    const result = compileLinearRegex(pattern);
    return result.ok ? undefined : result.message;
  };
  it.each([
    'EMP-[0-9]{6}',
    '(?i)case #[0-9]{4,10}',
    '[A-Z]{2}\\d{2}(?: [A-Z0-9]{4}){1,7}',
    '(?P<id>x{1,64})',
    'a|b',
    // Unbounded and nested repetition are safe in a linear-time engine.
    'a*',
    '(a+)+$',
    '(a|ab){1,9}',
    '\\w{0,255}\\w{0,255}x',
  ])('accepts %s', (pattern) => expect(problem(pattern)).toBeUndefined());
  it.each([
    ['(a)\\1', /invalid regular expression "\(a\)\\\\1" \(RE2 syntax\).*invalid escape/],
    ['(?=a)b', /unsupported Perl syntax/],
    ['a{1,2000}', /invalid repeat count/],
    [
      '\\w{1,1000}\\w{1,1000}',
      /"\\\\w\{1,1000\}\\\\w\{1,1000\}" is too costly: its RE2 program has \d+ instructions/,
    ],
  ])('rejects %s', (pattern, message) => expect(problem(pattern)).toMatch(message));
});
