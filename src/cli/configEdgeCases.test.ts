/**
 * Configuration and CLI edge cases found by an adversarial review (2026-11-27); each failed before its
 * fix. Commands that could hang or hold a WAL run in a child process with a timeout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Wal } from '../wal/Wal.ts';
import { runCli } from './testutil/runCli.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';

const tempDir = tempDirsRemovedAfterEach('review-cli-');
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

const config = (exporters: string, list: string) => `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
${exporters}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [${list}]
`;

function twoExportersOneDirectory(dir: string): string {
  const wal = path.join(dir, 'wal');
  const file = path.join(dir, 'two.yaml');
  fs.writeFileSync(
    file,
    config(
      `  audit_wal:\n    directory: ${wal}\n  audit_wal/b:\n    directory: ${wal}/\n`,
      'audit_wal, audit_wal/b',
    ),
  );
  return file;
}

describe('two audit_wal exporters on one directory', () => {
  it('are refused by validate, naming both (the docs require two directories)', async () => {
    const r = await runCli(['validate', '--config', twoExportersOneDirectory(tempDir())]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"audit_wal" and "audit_wal/b" both write the WAL directory');
  });

  it('are refused by serve before anything is opened (it blamed "another" writer: its own process)', () => {
    const file = twoExportersOneDirectory(tempDir());
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--config', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('both write the WAL directory');
    expect(r.stderr).not.toContain(`locked by pid ${r.pid}`);
  });

  it('a WAL opened twice in one process says so (not "locked by pid <its own>")', () => {
    const dir = path.join(tempDir(), 'wal');
    const first = Wal.open({ dir });
    try {
      expect(() => Wal.open({ dir })).toThrow(/already open in this process/);
    } finally {
      void first.close();
    }
  });
});

describe('--config and ${file:...} reads are bounded', () => {
  it('${file:...} naming a FIFO no one writes to fails with a clear error instead of hanging', () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, config(`  audit_wal:\n    directory: \${file:${fifo}}\n`, 'audit_wal'));
    const r = spawnSync(process.execPath, [MAIN, 'validate', '--config', file], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    // Before: still blocked in readFileSync after 5 s, killed by the timeout (signal SIGTERM, status null).
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not a regular file');
  });

  it('--config /dev/zero fails at once with a clear error (it grew to 24 GB before)', () => {
    const r = spawnSync(process.execPath, [MAIN, 'validate', '--config', '/dev/zero'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('larger than');
  });
});

describe('prove --out', () => {
  it('refuses a path inside the WAL directory it proves (it would write over a segment)', async () => {
    const dir = tempDir();
    const wal = path.join(dir, 'wal');
    const w = Wal.open({ dir: wal });
    await w.close();
    const segment = fs.readdirSync(wal).find((f) => f.endsWith('.wal')) ?? 'x.wal';
    const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', path.join(wal, segment)], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('inside the WAL directory');
  });
});

describe('verify of a directory holding no WAL frames', () => {
  it('is "nothing verified", exit 1 (it printed "result: intact", exit 0: a mistyped --wal passed)', async () => {
    const r = await runCli(['verify', '--wal', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('result: NOTHING VERIFIED (no WAL frames)');
    expect(r.stdout).not.toContain('result: intact');
    expect(r.stderr).toContain('--allow-empty');
    const json = await runCli(['verify', '--wal', tempDir(), '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { nothingVerified: boolean }).nothingVerified).toBe(true);
  });

  it('is intact with --allow-empty (exit 0), as before', async () => {
    const r = await runCli(['verify', '--wal', tempDir(), '--allow-empty']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('result: intact');
  });
});
