import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './ConfigError.ts';
import { mergeSources, mergeWithDefaults } from './internal/merge.ts';
import { resolveConfig } from './resolve.ts';
import { fakeCatalog } from './testing/fakeComponents.ts';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const ENV = { INGEST_TOKEN: 't', OTLP_HTTP_PORT: '4318', BATCH_SIZE: '512', BACKUP_API_KEY: 'k' };

describe('mergeSources (several --config sources, as the Collector merges them)', () => {
  it('merges maps deeply and lets the later source win', () => {
    expect(mergeSources({ a: { b: 1, c: 2 }, d: 1 }, { a: { c: 3, e: 4 } })).toEqual({
      a: { b: 1, c: 3, e: 4 },
      d: 1,
    });
  });

  it('replaces lists instead of appending to them', () => {
    expect(mergeSources({ list: [1, 2], keep: [0] }, { list: [3] })).toEqual({ list: [3], keep: [0] });
  });

  it('lets an explicit empty value or a scalar replace a map, and a map replace a scalar', () => {
    expect(mergeSources({ processors: { batch: {} } }, { processors: null })).toEqual({ processors: null });
    expect(mergeSources({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
    expect(mergeSources({ a: 'x' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('does not change its inputs', () => {
    const base = { a: { b: 1 } };
    mergeSources(base, { a: { c: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe('mergeWithDefaults (a component config over createDefaultConfig())', () => {
  const defaults = { endpoint: 'localhost:4317', tls: { insecure: false, ca: 'a' }, list: ['x'] };

  it('uses the defaults for an empty config', () => {
    expect(mergeWithDefaults(defaults, null)).toEqual(defaults);
    expect(mergeWithDefaults(defaults, undefined)).not.toBe(defaults);
  });

  it('merges maps, replaces lists and scalars, keeps defaults for empty values', () => {
    expect(mergeWithDefaults(defaults, { tls: { insecure: true }, list: [], endpoint: null })).toEqual({
      endpoint: 'localhost:4317',
      tls: { insecure: true, ca: 'a' },
      list: [],
    });
  });

  it('keeps an empty value under a key the defaults do not have, so the schema sees it', () => {
    expect(mergeWithDefaults({ protocols: {} }, { protocols: { grpc: null } })).toEqual({
      protocols: { grpc: null },
    });
  });
});

describe('loading several sources', () => {
  const catalog = fakeCatalog();

  it('merges files in order: maps merge, lists are replaced, later values win', () => {
    const config = resolveConfig(
      [
        { kind: 'file', path: testdata('valid.yaml') },
        { kind: 'file', path: testdata('override.yaml') },
      ],
      { catalog, env: ENV },
    );
    expect(config.processors.get('audit_mask/pii')?.config).toEqual({
      detectors: ['secret'],
      action: 'partial',
      blocked_keys: ['password', 'authorization'],
    });
    expect(config.exporters.get('audit_wal')?.config).toMatchObject({
      directory: '/var/lib/otel-audit/wal',
      sync_policy: 'fsync',
    });
    expect(config.service.pipelines.get('logs')).toEqual({
      id: 'logs',
      receivers: ['otlp'],
      processors: ['batch'],
      exporters: ['audit_wal'],
    });
    expect(config.warnings.map((w) => w.path)).toEqual(['processors::audit_mask/pii']);
  });

  it('merges YAML strings and plain objects the same way', () => {
    const config = resolveConfig(
      [
        { kind: 'yaml', text: 'receivers: { otlp: }\nexporters: { audit_wal: { directory: /a } }' },
        { kind: 'object', value: { exporters: { audit_wal: { sync_policy: 'none' } } } },
        {
          kind: 'object',
          value: { service: { pipelines: { logs: { receivers: ['otlp'], exporters: ['audit_wal'] } } } },
        },
      ],
      { catalog, env: {} },
    );
    expect(config.exporters.get('audit_wal')?.config).toMatchObject({ directory: '/a', sync_policy: 'none' });
  });

  it('expands references after merging, so a later file can rely on an earlier default', () => {
    const config = resolveConfig(
      [
        { kind: 'yaml', text: 'exporters: { audit_wal: { directory: "${env:DIR:-/default}" } }' },
        {
          kind: 'yaml',
          text: 'receivers: { otlp: }\nservice: { pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } } }',
        },
      ],
      { catalog, env: {} },
    );
    expect(config.exporters.get('audit_wal')?.config).toMatchObject({ directory: '/default' });
  });

  it('points an error at the file the offending value came from', () => {
    try {
      resolveConfig(
        [
          { kind: 'file', path: testdata('valid.yaml') },
          { kind: 'yaml', name: 'late.yaml', text: 'exporters:\n  audit_wal:\n    sync_policy: maybe\n' },
        ],
        { catalog, env: ENV },
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        {
          path: 'exporters::audit_wal::sync_policy',
          message: 'expected one of fdatasync|fsync|none, got "maybe"',
          source: { file: 'late.yaml', line: 3, column: 18 },
        },
      ]);
    }
  });
});
