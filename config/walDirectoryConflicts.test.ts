/**
 * Two audit_wal exporters on one WAL directory (from a second review, 2026-11-27; each case failed before):
 * only exporters a pipeline uses are opened, so only they conflict; a directory reached through a symlink
 * is the same directory.
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
  it('an exporter used in no pipeline is never opened (Service.ts creates used exporters only): not an error', () => {
    // A spare exporter kept configured but out of the pipeline: serve opens the directory once.
    const errors = errorsOf(config('/tmp/review2-wal', '/tmp/review2-wal', 'audit_wal'));
    // Before: 'exporters::audit_wal/b::directory: exporters "audit_wal" and "audit_wal/b" both write ...'
    expect(errors).toEqual([]);
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
