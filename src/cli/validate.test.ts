import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssue } from '../../config/ConfigError.ts';
import { resolveConfig } from '../../config/resolve.ts';
import { createFactoryRegistry } from '../pipeline/registry.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { configSourceOf, parseConfigUri } from './internal/configUri.ts';
import { runCli } from './testutil/runCli.ts';

const configTestdata = (name: string) =>
  fileURLToPath(new URL(`../../config/testdata/${name}`, import.meta.url));

const VALID = `
receivers:
  audit_sdk:
exporters:
  audit_wal:
    directory: \${env:WAL_DIR:-/var/lib/otel-audit/wal}
service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      exporters: [audit_wal]
`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Writes `files` into a fresh directory; returns it. */
function tempFiles(files: Record<string, string>): string {
  const t = makeTempDir('otel-audit-cli-');
  cleanups.push(t.cleanup);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(t.dir, name), text);
  return t.dir;
}

/** The issues `resolveConfig` itself reports for `file` with the built-in catalog. */
function expectedIssues(file: string): string[] {
  try {
    resolveConfig([{ kind: 'file', path: file }], { catalog: createFactoryRegistry().catalog, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatConfigIssue);
    throw error;
  }
  throw new Error(`${file} is valid`);
}

describe('otel-audit validate', () => {
  it('accepts a valid configuration: exit 0, pipelines and components on stdout, nothing on stderr', async () => {
    const dir = tempFiles({ 'audit.yaml': VALID });
    const r = await runCli(['validate', '--config', 'audit.yaml'], { cwd: dir });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'configuration is valid (1 source, 1 pipeline)',
        'pipeline logs',
        '  receivers:  audit_sdk',
        '  processors: (none)',
        '  exporters:  audit_wal',
        'extensions: (none)',
        '',
      ].join('\n'),
    });
  });

  it('prints every error of an invalid configuration, one per line as file:line:col: path: message, exit 1', async () => {
    const file = configTestdata('many-errors.yaml');
    const issues = expectedIssues(file);
    expect(issues.length).toBeGreaterThanOrEqual(8);
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`otel-audit: CONFIG_INVALID: invalid configuration (${issues.length} errors):`);
    expect(lines.slice(1)).toEqual(issues);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\/.*many-errors\.yaml:\d+:\d+: \S+: /);
    expect(r.stderr).toContain(
      'many-errors.yaml:13:18: exporters::audit_wal::sync_policy: expected one of fdatasync|fsync|none, got "sometimes"',
    );
  });

  it.each([
    ['bad-syntax.yaml', /bad-syntax\.yaml:4:1: /],
    ['duplicate-key.yaml', /duplicate-key\.yaml:\d+:\d+: service::pipelines: duplicate key "logs"/],
    ['unknown-top-level-key.yaml', /unknown top-level key "recievers" \(did you mean "receivers"\?\)/],
    ['wrong-type.yaml', /exporters::audit_wal::segment_size_mib|exporters::audit_wal: has invalid keys/],
    ['traces-pipeline.yaml', /service::pipelines::traces: /],
  ])('rejects config/testdata/%s with exit 1', async (name, pattern) => {
    const r = await runCli(['validate', '--config', configTestdata(name)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trimEnd().split('\n').slice(1)).toEqual(expectedIssues(configTestdata(name)));
  });

  it('prints warnings on stderr and still exits 0', async () => {
    const dir = tempFiles({
      'audit.yaml': `${VALID}\n`.replace(
        'exporters:\n',
        'exporters:\n  audit_wal/spare:\n    directory: ${env:SPARE_DIR}x\n',
      ),
    });
    const r = await runCli(['validate', '--config', 'audit.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('configuration is valid');
    const warnings = r.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings.every((w) => w.startsWith('warning: audit.yaml:'))).toBe(true);
    expect(r.stderr).toContain('SPARE_DIR');
    expect(r.stderr).toContain('exporter "audit_wal/spare" is configured but is not used in any pipeline');
  });

  it('expands ${env:...} from the environment it is given', async () => {
    const dir = tempFiles({
      'audit.yaml': VALID.replace('${env:WAL_DIR:-/var/lib/otel-audit/wal}', '${env:WAL_DIR}'),
    });
    const withEnv = await runCli(['validate', '--config', 'audit.yaml'], {
      cwd: dir,
      env: { WAL_DIR: '/x' },
    });
    expect(withEnv).toMatchObject({ code: 0, stderr: '' });
    const without = await runCli(['validate', '--config', 'audit.yaml'], { cwd: dir });
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/audit\.yaml:\d+:\d+: exporters::audit_wal::directory: /);
  });

  it('merges several --config in order: maps merge, later values win, errors name the file they are in', async () => {
    const dir = tempFiles({
      'base.yaml': 'receivers:\n  audit_sdk:\nexporters:\n  audit_wal:\n    directory: /a\n',
      'service.yaml':
        'service:\n  pipelines:\n    logs:\n      receivers: [audit_sdk]\n      exporters: [audit_wal]\n',
      'bad.yaml': 'exporters:\n  audit_wal:\n    sync_policy: sometimes\n',
      'fix.yaml': 'exporters:\n  audit_wal:\n    sync_policy: fsync\n',
    });
    const run = (...files: string[]) =>
      runCli(['validate', ...files.flatMap((f) => ['--config', f])], { cwd: dir });
    // Neither half is a configuration on its own.
    expect((await run('base.yaml')).stderr).toContain('service::pipelines: must have at least one pipeline');
    expect((await run('service.yaml')).stderr).toContain(
      'references receiver "audit_sdk" which is not configured',
    );
    expect(await run('base.yaml', 'service.yaml')).toMatchObject({ code: 0, stderr: '' });
    const bad = await run('base.yaml', 'service.yaml', 'bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.yaml:3:18: exporters::audit_wal::sync_policy: expected one of');
    expect(await run('base.yaml', 'service.yaml', 'bad.yaml', 'fix.yaml')).toMatchObject({ code: 0 });
    expect((await run('base.yaml', 'service.yaml', 'fix.yaml', 'bad.yaml')).code).toBe(1);
  });

  it('accepts file:PATH and reports a file that cannot be read', async () => {
    const dir = tempFiles({ 'audit.yaml': VALID });
    expect(await runCli(['validate', '--config', 'file:audit.yaml'], { cwd: dir })).toMatchObject({
      code: 0,
    });
    const missing = await runCli(['validate', '--config', 'file:nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `cannot read the configuration file "${path.join(dir, 'nope.yaml')}": ENOENT`,
    );
  });

  describe('yaml: snippets', () => {
    it('sets one nested key with key::key::key: value, merged in order', async () => {
      const dir = tempFiles({ 'audit.yaml': VALID });
      const ok = await runCli(
        ['validate', '--config', 'audit.yaml', '--config', 'yaml:exporters::audit_wal::directory: /tmp/x'],
        { cwd: dir },
      );
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(ok.stdout).toContain('(2 sources, 1 pipeline)');
      const bad = await runCli(
        [
          'validate',
          '--config',
          'audit.yaml',
          '--config',
          'yaml:exporters::audit_wal::sync_policy: sometimes',
        ],
        { cwd: dir },
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        /^<--config #2 yaml:>:3:\d+: exporters::audit_wal::sync_policy: expected one of fdatasync\|fsync\|none, got "sometimes"$/m,
      );
    });

    it('maps the single form to the nested document, the value parsed as YAML', () => {
      const source = (text: string) => configSourceOf(parseConfigUri(`yaml:${text}`, 0), '/');
      const parse = (text: string) => {
        const s = source(text);
        return s.kind === 'yaml' ? s.text : undefined;
      };
      expect(parse('exporters::audit_wal::directory: /tmp/x')).toBe(
        '"exporters":\n  "audit_wal":\n    "directory": /tmp/x\n',
      );
      expect(parse('service::pipelines::logs::exporters: [audit_wal, otlphttp/backup]')).toContain(
        '      "exporters": [audit_wal, otlphttp/backup]\n',
      );
      expect(parse('processors::batch/foo::timeout:')).toBe(
        '"processors":\n  "batch/foo":\n    "timeout":\n',
      );
      // Not the single form: read as YAML, as it is.
      expect(parse('{exporters: {audit_wal: {directory: /x}}}')).toBe(
        '{exporters: {audit_wal: {directory: /x}}}',
      );
      expect(source('exporters: {}')).toEqual({
        kind: 'yaml',
        name: '<--config #1 yaml:>',
        text: 'exporters: {}',
      });
    });

    it('resolves a nested-key value exactly as the same YAML written out', () => {
      const catalog = createFactoryRegistry().catalog;
      const base = { kind: 'yaml' as const, name: 'base.yaml', text: VALID };
      const viaSnippet = resolveConfig(
        [base, configSourceOf(parseConfigUri('yaml:exporters::audit_wal::commit_delay_ms: 25', 1), '/')],
        { catalog, env: {} },
      );
      expect(viaSnippet.exporters.get('audit_wal')?.config).toMatchObject({
        directory: '/var/lib/otel-audit/wal',
        commit_delay_ms: 25,
      });
    });

    it('accepts a plain YAML snippet', async () => {
      const dir = tempFiles({ 'audit.yaml': VALID });
      const r = await runCli(
        [
          'validate',
          '--config',
          'audit.yaml',
          '--config',
          'yaml:{exporters: {audit_wal: {sync_policy: fsync}}}',
        ],
        { cwd: dir },
      );
      expect(r).toMatchObject({ code: 0, stderr: '' });
    });
  });

  it('usage errors exit 2: no --config, an unsupported URI scheme, an empty value', async () => {
    const none = await runCli(['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("required option '--config <uri>' not specified");
    const http = await runCli(['validate', '--config', 'https://example.com/audit.yaml']);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('unsupported scheme "https:"');
    expect((await runCli(['validate', '--config', ''])).code).toBe(2);
  });
});
