import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './ConfigError.ts';
import { expandConfig } from './internal/expand.ts';
import { IssueList } from './internal/issues.ts';
import { formatPath, pathKey } from './internal/path.ts';
import { resolveConfig } from './resolve.ts';
import { fakeCatalog } from './testing/fakeComponents.ts';

const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no file ${path}`), { code: 'ENOENT' });
};

function expand(value: unknown, env: Record<string, string> = {}, readFile = noFiles) {
  const issues = new IssueList();
  const result = expandConfig({ v: value }, { env, baseDir: '/base', readFile }, issues);
  const out = result.value as { v: unknown };
  return {
    value: out.v,
    originals: result.originals,
    errors: issues.errors.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    warnings: issues.warnings.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  };
}

describe('expansion of ${...} references', () => {
  it('replaces ${env:VAR} and the shorthand ${VAR} inside a longer string', () => {
    expect(expand('http://${env:HOST}:${PORT}/v1', { HOST: 'collector', PORT: '4318' }).value).toBe(
      'http://collector:4318/v1',
    );
  });

  it('applies a default only when the variable is unset', () => {
    expect(expand('${env:LEVEL:-info}').value).toBe('info');
    expect(expand('${env:LEVEL:-info}', { LEVEL: 'debug' }).value).toBe('debug');
    const empty = expand('${env:LEVEL:-info}', { LEVEL: '' });
    expect(empty.value).toBe('');
    expect(empty.warnings).toEqual([]);
    expect(expand('x${env:LEVEL:-}y').value).toBe('xy');
    expect(expand('${env:LEVEL:-}').value).toBe('');
  });

  it('keeps everything after the first ":-" as the default, including ":"', () => {
    expect(expand('${env:ENDPOINT:-0.0.0.0:4317}').value).toBe('0.0.0.0:4317');
  });

  it('expands an unset variable without default to the empty string, with a warning', () => {
    const result = expand('a${env:MISSING}b');
    expect(result.value).toBe('ab');
    expect(result.warnings).toEqual([
      'v: environment variable "MISSING" is not set; it expands to an empty value',
    ]);
    expect(expand('${env:MISSING}').value).toBe('');
  });

  it('treats $$ as a literal $, also in front of a reference', () => {
    expect(expand('pa$$word').value).toBe('pa$word');
    expect(expand('$${env:HOST}').value).toBe('${env:HOST}');
    expect(expand('$$${env:HOST}', { HOST: 'h' }).value).toBe('$h');
    expect(expand('$$$${env:HOST}', { HOST: 'h' }).value).toBe('$${env:HOST}');
    expect(expand('^\\d+$$').value).toBe('^\\d+$');
  });

  it('leaves a lone $ and an unterminated ${ as they are', () => {
    expect(expand('costs 5$ or $x').value).toBe('costs 5$ or $x');
    expect(expand('${env:HOST').value).toBe('${env:HOST');
    expect(expand('${ ${env:HOST}', { HOST: 'h' }).value).toBe('${ h');
  });

  it('does not let an escaped reference stop the ones after it', () => {
    expect(expand('$${literal} ${env:HOST}', { HOST: 'h' }).value).toBe('${literal} h');
  });

  it('re-parses the value as YAML when the whole scalar is one reference', () => {
    const env = { PORT: '4318', ON: 'true', LIST: '[a, b]', MAP: 'key: 1', RATIO: '0.5', QUOTED: "'x'" };
    expect(expand('${env:PORT}', env).value).toBe(4318);
    expect(expand('${env:ON}', env).value).toBe(true);
    expect(expand('${env:LIST}', env).value).toEqual(['a', 'b']);
    expect(expand('${env:MAP}', env).value).toEqual({ key: 1 });
    expect(expand('${env:RATIO}', env).value).toBe(0.5);
    expect(expand('${env:QUOTED}', env).value).toBe("'x'");
    expect(expand('${env:BAD}', { BAD: '{ not yaml' }).value).toBe('{ not yaml');
    expect(expand('${env:YES}', { YES: 'yes' }).value).toBe('yes');
    expect(expand('${env:NOTHING}', { NOTHING: 'null' }).value).toBe('null');
    expect(expand('${env:NOTHING}', { NOTHING: '~' }).value).toBe('~');
  });

  it('keeps an embedded reference a string and remembers the text of typed values', () => {
    expect(expand('port-${env:PORT}', { PORT: '4318' }).value).toBe('port-4318');
    const typed = expand('${env:PORT}', { PORT: '04318' });
    expect(typed.value).toBe(4318);
    expect(typed.originals.get(pathKey(['v']))).toEqual({ original: '04318' });
  });

  it('expands references in lists and nested maps but never in keys', () => {
    const result = expand({ '${env:K}': ['${env:A}', { b: '${env:A}' }] }, { A: 'x', K: 'k' });
    expect(result.value).toEqual({ '${env:K}': ['x', { b: 'x' }] });
  });

  it('resolves nested references innermost first', () => {
    expect(expand('${env:${env:WHICH}}', { WHICH: 'TARGET', TARGET: '7' }).value).toBe(7);
  });

  it('expands references inside what a reference yields, recursively', () => {
    const env = { OUTER: 'x-${env:INNER}', INNER: 'y', PASSWORD: 'pa$$word', LITERAL: '$${env:INNER}' };
    expect(expand('${env:OUTER}', env).value).toBe('x-y');
    expect(expand('${env:PASSWORD}', env).value).toBe('pa$word');
    expect(expand('${env:LITERAL}', env).value).toBe('${env:INNER}');
  });

  it('reports a reference cycle instead of looping', () => {
    const result = expand('${env:A}', { A: '${env:B}', B: '${env:A}' });
    expect(result.errors).toEqual([expect.stringMatching(/^v: too many recursive expansions/)]);
  });

  it('rejects unknown schemes by name, and the shell default syntax with a hint', () => {
    expect(expand('${http://example.com/x.yaml}').errors).toEqual([
      'v: unsupported scheme "http" in "${http://example.com/x.yaml}": supported schemes are env and file',
    ]);
    expect(expand('${PORT:-4318}').errors).toEqual([
      'v: unsupported scheme "PORT" in "${PORT:-4318}": supported schemes are env and file; to give an environment variable a default, write ${env:PORT:-4318}',
    ]);
    expect(expand('${env:BAD NAME}').errors).toEqual([
      'v: environment variable "BAD NAME" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$',
    ]);
    expect(expand('${1x:y}').errors).toEqual([expect.stringMatching(/^v: invalid reference "\$\{1x:y\}"/)]);
    expect(expand('${env:A:-$$}').errors).toEqual([expect.stringContaining("unsupported characters ('$')")]);
  });

  it('reports every failing value, not only the first', () => {
    const result = expand(['${yaml:a}', 'ok', '${s3:b}']);
    expect(result.errors).toEqual([
      expect.stringMatching(/^v\[0\]: unsupported scheme "yaml"/),
      expect.stringMatching(/^v\[2\]: unsupported scheme "s3"/),
    ]);
  });

  describe('${file:...}', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-audit-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the file as is, relative to the base directory', () => {
      writeFileSync(join(dir, 'token'), 's3cr3t\n');
      writeFileSync(join(dir, 'port'), '4318');
      const issues = new IssueList();
      const options = { env: {}, baseDir: dir, readFile: (path: string) => `read:${path}` };
      const result = expandConfig({ a: '${file:token}' }, options, issues);
      expect(result.value).toEqual({ a: `read:${join(dir, 'token')}` });

      const config = resolveConfig(
        [
          {
            kind: 'yaml',
            text: [
              'receivers: { otlp: }',
              'exporters: { audit_wal: { segment_size_mib: "${file:port}" } }',
              'extensions: { bearertokenauth: { token: "Bearer ${file:token}" } }',
              'service: { extensions: [bearertokenauth], pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } } }',
            ].join('\n'),
          },
        ],
        { catalog: fakeCatalog(), env: {}, baseDir: dir },
      );
      expect(config.exporters.get('audit_wal')?.config).toMatchObject({ segment_size_mib: 4318 });
      expect(config.extensions.get('bearertokenauth')?.config).toMatchObject({ token: 'Bearer s3cr3t\n' });
    });

    it('reports a file that cannot be read', () => {
      expect(expand('${file:missing.pem}').errors).toEqual([
        'v: cannot read file "missing.pem" referenced as ${file:missing.pem}: ENOENT',
      ]);
    });
  });
});

describe('the environment', () => {
  it('is process.env unless given', () => {
    process.env['OTEL_AUDIT_CONFIG_TEST_DIR'] = '/from/process/env';
    try {
      const config = resolveConfig(
        [
          {
            kind: 'yaml',
            text: 'receivers: { otlp: }\nexporters: { audit_wal: { directory: "${OTEL_AUDIT_CONFIG_TEST_DIR}" } }\nservice: { pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } } }',
          },
        ],
        { catalog: fakeCatalog() },
      );
      expect(config.exporters.get('audit_wal')?.config).toMatchObject({ directory: '/from/process/env' });
    } finally {
      delete process.env['OTEL_AUDIT_CONFIG_TEST_DIR'];
    }
  });
});

describe('expanded values reaching component schemas', () => {
  const yaml = (text: string, env: Record<string, string>) =>
    resolveConfig([{ kind: 'yaml', name: 'test.yaml', text }], { catalog: fakeCatalog(), env });
  const base = [
    'receivers: { otlp: }',
    'service: { pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } } }',
  ].join('\n');

  it('gives a string field the text and a number field the number', () => {
    const config = yaml(
      `${base}\nexporters: { otlphttp: { endpoint: "\${env:PORT}", headers: { x-key: "\${env:KEY}" } } }\nprocessors: { batch: { send_batch_size: "\${env:PORT}" } }`,
      { PORT: '4318', KEY: '00123' },
    );
    expect(config.exporters.get('otlphttp')?.config).toMatchObject({
      endpoint: '4318',
      headers: { 'x-key': '00123' },
    });
    expect(config.processors.get('batch')?.config).toMatchObject({ send_batch_size: 4318 });
  });

  it('reports an unset variable used for a number instead of guessing a value', () => {
    const run = () =>
      yaml(
        `${base}\nexporters: { otlphttp: { endpoint: "http://x" } }\nprocessors: { batch: { send_batch_size: "\${env:SIZE}" } }`,
        {},
      );
    expect(run).toThrow(ConfigError);
    expect(run).toThrow('processors::batch::send_batch_size: expected a number, got ""');
  });

  it('does not report a failed reference a second time through the schema', () => {
    try {
      yaml(
        `${base}\nexporters: { otlphttp: { endpoint: "http://x" } }\nprocessors: { batch: { send_batch_size: "\${https://size}" } }`,
        {},
      );
      expect.unreachable();
    } catch (error) {
      const issues = (error as ConfigError).issues;
      expect(issues.map((issue) => issue.path)).toEqual(['processors::batch::send_batch_size']);
      expect(issues[0]?.message).toMatch(/^unsupported scheme "https"/);
    }
  });
});
