import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { processorConfigTester } from '../../test/helpers/processorConfigTests.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { createDefaultRedactionConfig, redactionConfigSchema } from './config.ts';
import { redactionProcessorFactory } from './factory.ts';

const { issues, loadGolden, createGolden } = processorConfigTester(
  redactionProcessorFactory,
  import.meta.url,
);

describe('redaction configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(redactionProcessorFactory)).toEqual([]);
  });

  it('loads and creates every golden configuration, with the contrib values', () => {
    const processors = createGolden('config.yaml');
    expect(processors).toHaveLength(5);
    for (const processor of processors) expect(processor.mutates).toBe(true);
    const config = loadGolden('config.yaml');
    expect(config.processors.get('redaction')?.config).toMatchObject({
      allow_all_keys: false,
      allowed_keys: ['description', 'group', 'id', 'name'],
      ignored_keys: ['safe_attribute'],
      blocked_values: ['4[0-9]{12}(?:[0-9]{3})?', '(5[1-5][0-9]{14})'],
      summary: 'debug',
    });
    expect(config.processors.get('redaction/empty')?.config).toEqual(createDefaultRedactionConfig());
    expect(config.processors.get('redaction/hashing')?.config).toMatchObject({ hash_function: 'sha3' });
  });

  it('accepts what the contrib accepts and rejects the rest by path', () => {
    expect(issues('    hash_function: MD5')).toEqual([]);
    expect(issues('    summary: verbose')).toEqual([]); // the Collector accepts it (and writes no summary)
    expect(issues('    hash_function: sha256')[0]).toMatch(/^hash_function: .*sha256/);
    expect(issues('    hash_function: hmac-sha512')).toEqual([
      'hmac_key: is required for hash_function "hmac-sha512"',
    ]);
    expect(issues("    blocked_values: ['ok', '(']")[0]).toMatch(
      /^blocked_values\[1\]: invalid regular expression/,
    );
    expect(issues("    ignored_key_patterns: ['[']")[0]).toMatch(
      /^ignored_key_patterns\[0\]: invalid regular expression/,
    );
    expect(issues('    url_sanitizer: { enabled: true }')).toEqual([
      'url_sanitizer::enabled: URL sanitization is not supported by otel-audit; set it to false',
    ]);
    expect(issues('    db_sanitizer: { sql: { enabled: true } }')).toEqual([
      'db_sanitizer: database query sanitization is not supported by otel-audit; disable it',
    ]);
    expect(issues('    allowed_key: [a]')[0]).toMatch(/allowed_key/);
  });

  it('warns about a configuration that removes every attribute, an unknown summary and a short HMAC key', () => {
    const settings = testSettings('redaction');
    redactionProcessorFactory.create(
      settings,
      redactionConfigSchema.parse({
        ...createDefaultRedactionConfig(),
        summary: 'verbose',
        hash_function: 'hmac-sha256',
        hmac_key: 'short',
      }),
    );
    expect(settings.logger.lines).toEqual([
      'warn: redaction: summary "verbose" is not debug, info or silent: no summary is written',
      'warn: redaction: hmac_key is shorter than the 32 bytes recommended for hmac-sha256',
      'warn: redaction: allowed_keys is empty and allow_all_keys is false: every attribute is removed',
    ]);
  });
});
