import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssue } from './ConfigError.ts';
import type { ConfigIssue } from './ConfigError.ts';
import { loadConfig, loadConfigFiles } from './load.ts';
import { resolveConfig } from './resolve.ts';
import { fakeCatalog } from './testing/fakeComponents.ts';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const ENV = { INGEST_TOKEN: 'tok', OTLP_HTTP_PORT: '4318', BATCH_SIZE: '512', BACKUP_API_KEY: '12345' };
const catalog = fakeCatalog();

function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.code).toBe('CONFIG_INVALID');
    return [...error.issues];
  }
  throw new Error('expected a ConfigError');
}

function fileIssues(name: string) {
  return issuesOf(() => resolveConfig([{ kind: 'file', path: testdata(name) }], { catalog, env: ENV })).map(
    (issue) => ({
      path: issue.path,
      message: issue.message,
      line: issue.source?.line,
      file: issue.source?.file,
    }),
  );
}

function yamlIssues(text: string) {
  return issuesOf(() => resolveConfig([{ kind: 'yaml', name: 'test.yaml', text }], { catalog, env: {} }));
}

const PIPELINE = 'service: { pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } } }';

describe('the golden configuration', () => {
  it('loads with every component, pipeline and telemetry setting resolved', async () => {
    const config = await loadConfigFiles([testdata('valid.yaml')], { catalog, env: ENV });
    expect([...config.receivers.keys()]).toEqual(['otlp']);
    expect(config.receivers.get('otlp')?.config).toEqual({
      protocols: {
        grpc: { endpoint: '0.0.0.0:4317' },
        http: { endpoint: '0.0.0.0:4318', cors: { allowed_origins: ['https://*.example.com'] } },
      },
    });
    expect(config.processors.get('batch')?.config).toEqual({ timeout: '200ms', send_batch_size: 512 });
    const mask = config.processors.get('audit_mask/pii');
    expect(mask).toMatchObject({ id: 'audit_mask/pii', type: 'audit_mask', name: 'pii', kind: 'processor' });
    const backup = config.exporters.get('otlphttp/backup');
    expect(backup).toMatchObject({ type: 'otlp_http', name: 'backup' });
    expect(backup?.config).toEqual({
      endpoint: 'https://backup.example.com:4318',
      headers: { 'x-api-key': '12345', 'x-tenant': '${not-expanded}' },
      compression: 'gzip',
      timeout: '30s',
    });
    expect(config.extensions.get('health_check')?.config).toEqual({ endpoint: 'localhost:13133', path: '/' });
    expect(config.service.extensions).toEqual(['health_check', 'bearertokenauth']);
    expect([...config.service.pipelines.values()]).toEqual([
      { id: 'logs', receivers: ['otlp'], processors: ['audit_mask/pii', 'batch'], exporters: ['audit_wal'] },
      {
        id: 'logs/replica',
        name: 'replica',
        receivers: ['otlp'],
        processors: ['batch'],
        exporters: ['otlphttp/backup'],
      },
    ]);
    expect(config.service.telemetry).toEqual({
      logs: { level: 'info' },
      metrics: { level: 'detailed', prometheus: [{ host: '0.0.0.0', port: 8888 }] },
      resource: {},
    });
    expect(config.warnings).toEqual([]);
  });

  it('warns about unset variables and unused components, with their lines', () => {
    const config = resolveConfig([{ kind: 'file', path: testdata('valid.yaml') }], {
      catalog,
      env: { ...ENV, INGEST_TOKEN: undefined },
    });
    expect(config.warnings).toEqual([
      {
        path: 'extensions::bearertokenauth::token',
        message: 'environment variable "INGEST_TOKEN" is not set; it expands to an empty value',
        source: { file: testdata('valid.yaml'), line: 6, column: 12 },
      },
    ]);
    const unused = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `receivers: { otlp:, otlp/2: }\nexporters: { audit_wal: }\nextensions: { health_check: }\n${PIPELINE}`,
        },
      ],
      { catalog, env: {} },
    );
    expect(unused.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'receivers::otlp/2: receiver "otlp/2" is configured but is not used in any pipeline',
      'extensions::health_check: extension "health_check" is configured but is not enabled in service::extensions',
    ]);
  });
});

describe('broken configurations name the exact path and line', () => {
  it.each([
    [
      'unknown-top-level-key.yaml',
      [
        {
          path: '',
          line: 1,
          message:
            'unknown top-level key "recievers" (did you mean "receivers"?); valid keys: receivers, processors, exporters, extensions, connectors, service',
        },
        {
          path: 'service::pipelines::logs',
          line: 10,
          message: 'references receiver "otlp" which is not configured',
        },
      ],
    ],
    [
      'typo-nested-key.yaml',
      [
        {
          path: 'receivers::otlp::protocols',
          line: 4,
          message: 'has invalid keys: htttp (did you mean "http"?)',
        },
      ],
    ],
    [
      'missing-component.yaml',
      [
        {
          path: 'service::extensions',
          line: 8,
          message: 'references extension "health_check" which is not configured',
        },
        {
          path: 'service::pipelines::logs',
          line: 12,
          message: 'references processor "audit_mask/pii" which is not configured',
        },
      ],
    ],
    [
      'unknown-type.yaml',
      [
        {
          path: 'receivers::otlpp',
          line: 2,
          message: 'unknown receiver type "otlpp" (did you mean "otlp"?); known receiver types: otlp',
        },
      ],
    ],
    [
      'traces-pipeline.yaml',
      [
        {
          path: 'service::pipelines::traces',
          line: 12,
          message: 'only logs pipelines are supported: otel-audit does not process traces',
        },
      ],
    ],
    ['duplicate-key.yaml', [{ path: 'service::pipelines', line: 12, message: 'duplicate key "logs"' }]],
    [
      'wrong-type.yaml',
      [
        {
          path: 'exporters::audit_wal::sync_policy',
          line: 6,
          message: 'expected one of fdatasync|fsync|none, got "sometimes"',
        },
        { path: 'exporters::audit_wal::segment_size_mib', line: 7, message: 'expected a number, got "64"' },
      ],
    ],
  ])('%s', (name, expected) => {
    const file = testdata(name);
    expect(fileIssues(name)).toEqual(expected.map((issue) => ({ ...issue, file })));
  });

  it('bad-syntax.yaml: reports the YAML error with its position', () => {
    const [issue, ...rest] = fileIssues('bad-syntax.yaml');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: '', line: 4, file: testdata('bad-syntax.yaml') });
    expect(issue?.message).toMatch(/Flow sequence .* must .* end with a \]/);
  });

  it('many-errors.yaml: reports every error at once, in file order', () => {
    expect(
      fileIssues('many-errors.yaml').map(({ path, line, message }) => `${line} ${path}: ${message}`),
    ).toEqual([
      '5 receivers::otlp::protocols::grpc: has invalid keys: endpont (did you mean "endpoint"?)',
      '9 processors::batch::send_batch_size: must be more than 0',
      '13 exporters::audit_wal::sync_policy: expected one of fdatasync|fsync|none, got "sometimes"',
      '15 connectors: not supported: otel-audit runs only logs pipelines of receivers, processors and exporters',
      '22 service::pipelines::logs: references processor "audit_mask/pii" which is not configured',
      '22 service::pipelines::logs: references processor "batch" multiple times',
      '23 service::pipelines::logs: references exporter "forward" which is a connector; connectors are not supported',
      '24 service::pipelines::logs/empty: must have at least one receiver',
      '24 service::pipelines::logs/empty: must have at least one exporter',
      '26 service::pipelines::metrics: only logs pipelines are supported: otel-audit does not process metrics',
    ]);
  });

  it('renders every issue on its own line of the error message', () => {
    try {
      resolveConfig([{ kind: 'file', path: testdata('wrong-type.yaml') }], { catalog, env: {} });
      expect.unreachable();
    } catch (error) {
      const { message, issues } = error as ConfigError;
      expect(message.split('\n')).toEqual([
        'invalid configuration (2 errors):',
        ...issues.map((issue) => `  ${formatConfigIssue(issue)}`),
      ]);
      expect(message).toContain(
        `${testdata('wrong-type.yaml')}:6:18: exporters::audit_wal::sync_policy: expected one of`,
      );
    }
  });
});

describe('shape rules', () => {
  it('treats an empty component as its defaults and normalizes ids', () => {
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `receivers:\n  otlp / main:\nexporters: { audit_wal: }\nservice: { pipelines: { logs: { receivers: [otlp/main], exporters: audit_wal } } }`,
        },
      ],
      { catalog, env: {} },
    );
    expect(config.receivers.get('otlp/main')).toMatchObject({
      id: 'otlp/main',
      name: 'main',
      config: { protocols: {} },
    });
    expect(config.exporters.get('audit_wal')?.config).toMatchObject({ sync_policy: 'fdatasync' });
    expect(config.service.pipelines.get('logs')?.exporters).toEqual(['audit_wal']);
  });

  it('accepts YAML anchors and merge keys, and points errors into them', () => {
    const text = `x-wal: &wal\n  sync_policy: never\nexporters:\n  audit_wal:\n    <<: *wal\n    directory: /d\nreceivers: { otlp: }\n${PIPELINE}`;
    const issues = yamlIssues(text);
    expect(issues.map((i) => [i.path, i.source?.line])).toEqual([
      ['', 1],
      ['exporters::audit_wal::sync_policy', 2],
    ]);
  });

  it('requires a logs pipeline with receivers and exporters', () => {
    expect(yamlIssues('receivers: { otlp: }').map(formatConfigIssue)).toEqual([
      'service::pipelines: must have at least one pipeline (logs or logs/<name>)',
    ]);
    expect(yamlIssues('').map(formatConfigIssue)).toEqual([
      'service::pipelines: must have at least one pipeline (logs or logs/<name>)',
    ]);
    expect(yamlIssues('service: { pipelines: { logz: {} } }').map((i) => i.message)).toEqual([
      'unknown signal "logz" (did you mean "logs"?); expected logs or logs/<name>',
    ]);
  });

  it('rejects malformed ids, duplicate ids and misplaced values', () => {
    const text = `receivers:\n  otlp/a:\n  otlp/ a:\n  "otlp/":\n  9x:\nexporters: [audit_wal]\n${PIPELINE.replace('[otlp]', '[otlp/a, "bad id/"]')}\nservice2: {}`;
    expect(yamlIssues(text).map((i) => `${i.source?.line} ${i.path}: ${i.message}`)).toEqual([
      '3 receivers::otlp/ a: duplicates the receiver id "otlp/a"',
      '4 receivers::otlp/: invalid id "otlp/": the name after "/" must not be empty',
      '5 receivers::9x: invalid id "9x": the type "9x" must start with a letter and have only letters, digits and "_" (at most 63 characters)',
      '6 exporters: expected a map of exporter ids to their configuration, got a list',
      '7 service::pipelines::logs: invalid id "bad id/": the type "bad id" must start with a letter and have only letters, digits and "_" (at most 63 characters)',
      '7 service::pipelines::logs: references exporter "audit_wal" which is not configured',
      '8 : unknown top-level key "service2" (did you mean "service"?); valid keys: receivers, processors, exporters, extensions, connectors, service',
    ]);
  });

  it('rejects a top level that is not a map, and keys that are not strings', () => {
    expect(yamlIssues('- receivers\n').map(formatConfigIssue)).toEqual([
      'test.yaml:1:1: the top level of the configuration must be a map, got a list',
    ]);
    expect(yamlIssues('? [a, b]\n: 1\n').map(formatConfigIssue)).toEqual([
      'test.yaml:1:3: map keys must be strings',
    ]);
  });

  it('validates service::telemetry loosely', () => {
    const service = 'service:\n  pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } }';
    const text = (telemetry: string) =>
      `receivers: { otlp: }\nexporters: { audit_wal: }\n${service}\n  telemetry: ${telemetry}`;
    const ok = resolveConfig(
      [
        {
          kind: 'yaml',
          text: text(
            '{ logs: { level: DEBUG, encoding: json, sampling: { enabled: false } }, traces: { propagators: [] }, resource: { service.name: audit, service.instance.id: null } }',
          ),
        },
      ],
      { catalog, env: {} },
    );
    expect(ok.service.telemetry).toEqual({
      logs: { level: 'debug' },
      metrics: { level: 'normal', prometheus: [] },
      resource: { 'service.name': 'audit', 'service.instance.id': null },
    });
    const bad = text('{ logs: { level: loud }, metrix: {} }');
    expect(yamlIssues(bad).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'service::telemetry::logs::level: expected one of debug|info|warn|error|dpanic|panic|fatal, got "loud"',
      'service::telemetry: has invalid keys: metrix (did you mean "metrics"?)',
    ]);
  });

  it('reports a missing file and a missing source', async () => {
    await expect(loadConfig([{ kind: 'file', path: testdata('nope.yaml') }], { catalog })).rejects.toThrow(
      `cannot read the configuration file "${testdata('nope.yaml')}": ENOENT`,
    );
    expect(issuesOf(() => resolveConfig([], { catalog })).map((i) => i.message)).toEqual([
      'no configuration source was given',
    ]);
  });

  it('refuses object sources holding values YAML cannot produce', () => {
    const issues = issuesOf(() =>
      resolveConfig(
        [{ kind: 'object', name: 'api', value: { receivers: { otlp: { at: new Date(0), n: Infinity } } } }],
        { catalog },
      ),
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      'receivers::otlp::at: api: unsupported value of type object (not a plain map)',
      'receivers::otlp::n: api: Infinity is not a finite number',
    ]);
  });
});
