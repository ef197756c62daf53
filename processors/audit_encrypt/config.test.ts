import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { TIMER_MS_MAX } from '../../config/duration.ts';
import { CLOSE_TIMEOUT_MS_DEFAULT } from '../../src/privacy/KeyStore.ts';
import { loadProcessorConfigs, processorConfigIssues } from '../filter/testing/loadProcessorConfigs.ts';
import { auditEncryptProcessorFactory } from './factory.ts';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const issues = (yaml: string) =>
  processorConfigIssues(`processors:\n  audit_encrypt:\n${yaml}`, [auditEncryptProcessorFactory]).map(
    (issue) => `${issue.path.replace('processors::audit_encrypt::', '')}: ${issue.message}`,
  );
const STORE = '    key_store: { directory: keys, master_keys: [{ env: M }] }\n';

describe('audit_encrypt configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(auditEncryptProcessorFactory)).toEqual([]);
  });

  it('loads every golden configuration, durations in milliseconds', () => {
    const config = loadProcessorConfigs({ kind: 'file', path: testdata('config.yaml') }, [
      auditEncryptProcessorFactory,
    ]);
    expect(config.processors.size).toBe(3);
    expect(config.processors.get('audit_encrypt/fields')?.config).toMatchObject({
      key_cache: { entries_max: 100000, ttl: 10_000 },
      missing_subject: 'refuse',
      close_timeout_ms: 2000,
    });
    expect(config.processors.get('audit_encrypt')?.config).toMatchObject({
      missing_subject: 'default_key',
      key_cache: { ttl: 60_000 },
      close_timeout_ms: CLOSE_TIMEOUT_MS_DEFAULT,
    });
    expect(CLOSE_TIMEOUT_MS_DEFAULT).toBe(10_000);
  });

  it('reports problems at their YAML path', () => {
    expect(issues('    body: true')).toEqual([
      'key_store::directory: is required (expected a string)',
      'key_store::master_keys: is required (expected a list)',
    ]);
    expect(issues(`${STORE}    body: true\n    body_paths: [a]`)).toEqual([
      'body_paths: has no effect when body is true (the whole body is encrypted)',
    ]);
    expect(issues(`${STORE}    missing_subject: drop`)[0]).toMatch(/^missing_subject: .*default_key.*refuse/);
    expect(issues('    key_store: { directory: k, master_keys: [{ file: a, value: b }] }')).toEqual([
      'key_store::master_keys[0]: set exactly one of file, env or value',
    ]);
    expect(issues(`${STORE}    attributes: [a, a]`)).toEqual(['attributes[1]: "a" is listed twice']);
    expect(issues(`${STORE}    key_cache: { ttl: soon }`)[0]).toMatch(/^key_cache::ttl: /);
    expect(issues(`${STORE}    key_cache: { entries_max: -1 }`)[0]).toMatch(/^key_cache::entries_max: /);
    for (const bad of ['-1', '1.5', '1s', String(TIMER_MS_MAX + 1)])
      expect(issues(`${STORE}    close_timeout_ms: ${bad}`)[0]).toMatch(/^close_timeout_ms: /);
    expect(issues(`${STORE}    close_timeout_ms: 0`)).toEqual([]);
    expect(issues(`${STORE}    close_timeout_ms: ${TIMER_MS_MAX}`)).toEqual([]);
  });
});
