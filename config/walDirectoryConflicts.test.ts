/**
 * Two audit_wal exporters on one WAL directory (from the reviews of 2026-11-27) are a configuration error,
 * a spare one too (not started while unused, it would fail on the lock once wired in); a directory reached
 * through a symlink is the same.
 */
import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './ConfigError.ts';
import { resolveConfig } from './resolve.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';

const catalog = createFactoryRegistry().catalog;

const config = (a: string, b: string, used: string) => `receivers:
  otlp:
    protocols:
      http:
exporters:
  audit_wal:
    directory: ${a}
  audit_wal/b:
    directory: ${b}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [${used}]
`;

function errorsOf(text: string): string[] {
  try {
    resolveConfig([{ kind: 'yaml', text, name: 'c.yaml' }], { catalog, env: {}, baseDir: '/tmp' });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
}

describe('two audit_wal exporters on one directory', () => {
  it('an exporter used in no pipeline conflicts too: serve starts every configured exporter', () => {
    const errors = errorsOf(config('/tmp/review2-wal', '/tmp/review2-wal', 'audit_wal'));
    expect(errors.join('\n')).toContain('both write the WAL directory');
  });

  it('the same directory through a symlink is the same directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'review2-cfg-'));
    try {
      mkdirSync(join(dir, 'wal'));
      symlinkSync(join(dir, 'wal'), join(dir, 'link'));
      const errors = errorsOf(config(join(dir, 'wal'), join(dir, 'link'), 'audit_wal, audit_wal/b'));
      // Before: [] (the lexical comparison misses it; serve then fails at the WAL lock instead).
      expect(errors.join('\n')).toMatch(/both write the WAL directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
