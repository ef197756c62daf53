/**
 * Config loading edge cases found by an adversarial review (2026-11-27); each failed before its fix:
 * error locations with several sources, unset variables named in the errors they cause, an expansion
 * failure reported once, an empty id-list string as an empty list (as in the Collector), the
 * `${file:...}` references bounded in all, and control characters in keys escaped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './ConfigError.ts';
import type { ConfigIssue } from './ConfigError.ts';
import { formatPath } from './internal/path.ts';
import { REFERENCED_TOTAL_LENGTH_MAX, resolveConfig } from './resolve.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';

const catalog = createFactoryRegistry().catalog;

const BASE = `receivers:
  otlp:
    protocols:
      http:
exporters:
  audit_wal:
    directory: /tmp/review-wal
    sync_policy: fsync
processors:
  batch:
  batch/two:
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch, batch/two]
      exporters: [audit_wal]
`;

function issuesOf(texts: string[], env: Record<string, string> = {}): ConfigIssue[] {
  return issuesOfIn(texts, '/nonexistent-review-dir', env);
}

function issuesOfIn(texts: string[], baseDir: string, env: Record<string, string> = {}): ConfigIssue[] {
  try {
    resolveConfig(
      texts.map((text, i) => ({ kind: 'yaml' as const, text, name: `f${i + 1}.yaml` })),
      { catalog, env, baseDir },
    );
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('error locations with several sources', () => {
  it('a bad list item that came from the later file is located in that file, not in the earlier one', () => {
    const later = 'service:\n  pipelines:\n    logs:\n      processors: "batch, nope"\n';
    const issues = issuesOf([BASE, later]);
    const bad = issues.find((i) => i.message.includes('"nope"'));
    expect(bad).toBeDefined();
    // Observed: f1.yaml:16:27 — the line of `batch/two` in f1.yaml, which is not where "nope" is written.
    expect(bad?.source?.file).toBe('f2.yaml');
  });

  it('a bad value produced by ${env:...} in the later file is located at that reference, not at the earlier key', () => {
    const later = 'exporters:\n  audit_wal: ${env:WAL}\n';
    const issues = issuesOf([BASE, later], { WAL: '{directory: /x, sync_policy: bogus}' });
    const bad = issues.find((i) => i.path === 'exporters::audit_wal::sync_policy');
    expect(bad).toBeDefined();
    // Observed: f1.yaml:8:18, i.e. `sync_policy: fsync` in f1.yaml, a value that is valid and was replaced.
    expect(bad?.source?.file).toBe('f2.yaml');
  });
});

describe('unset variables, when the configuration fails', () => {
  it('an error caused by an unset ${env:VAR} names the variable', () => {
    const text = BASE.replace('exporters: [audit_wal]', 'exporters: ${env:EXPORTERS}').replace(
      'sync_policy: fsync',
      'payload_bytes_max: ${env:PAYLOAD_MAX}',
    );
    const issues = issuesOf([text]);
    // Observed: `invalid id "": the type must not be empty` and `expected a number, got ""`, no variable named
    // (the "is not set" warnings are dropped by toError()).
    const rendered = issues.map((i) => i.message).join('\n');
    expect(rendered).toContain('EXPORTERS');
    expect(rendered).toContain('PAYLOAD_MAX');
  });
});

describe('an expansion failure', () => {
  it('a failed ${file:...} in a pipeline list gives one error, not a second "invalid id" for the raw text', () => {
    const text = BASE.replace('receivers: [otlp]', 'receivers: ${file:missing.txt}');
    const issues = issuesOf([text]);
    // Observed: the ENOENT error plus `service::pipelines::logs: invalid id "${file:missing.txt}": ...`.
    expect(issues.filter((i) => i.message.includes('invalid id'))).toEqual([]);
    expect(issues).toHaveLength(1);
  });
});

describe('an empty id list string', () => {
  it('`processors: ${env:EXTRA_PROCESSORS}` with the variable empty/unset means no processors, as in the Collector', () => {
    const text = BASE.replace('processors: [batch, batch/two]', 'processors: ${env:EXTRA_PROCESSORS}');
    // Observed: `service::pipelines::logs: invalid id "": the type must not be empty` (''.split(',') is ['']).
    // The Collector decodes nil / "" into an empty list (mapstructure StringToSliceHookFunc returns [] for "").
    expect(issuesOf([text], { EXTRA_PROCESSORS: '' })).toEqual([]);
    expect(issuesOf([text])).toEqual([]);
  });
});

describe('${file:...} references', () => {
  it('retrieve at most REFERENCED_TOTAL_LENGTH_MAX characters in all (200 references to one 800 KB file took minutes and GBs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-audit-refs-'));
    try {
      writeFileSync(join(dir, 'big.txt'), `[${'1,'.repeat(400_000)}1]`);
      const lines = Array.from({ length: 200 }, (_, i) => `        k${i}: \${file:big.txt}`).join('\n');
      const text = `${BASE}\n  telemetry:\n    resource:\n${lines.replace(/^ {8}/gm, '      ')}\n`;
      const t0 = performance.now();
      const issues = issuesOfIn([text], dir);
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(issues.map((i) => i.message).join('\n')).toContain('in all');
      expect(REFERENCED_TOTAL_LENGTH_MAX).toBe(4 * 1024 * 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keys with control characters', () => {
  it('are shown escaped in issue paths (no terminal escapes, no line split)', () => {
    expect(formatPath(['receivers', 'otlp/\u001b[31mRED', 0, 'a\nb'])).toBe(
      'receivers::otlp/\\u001b[31mRED[0]::a\\u000ab',
    );
  });
});
