/**
 * From a second review (2026-11-27) of the bounded config reads; it failed before its fix: `--config
 * /dev/stdin` over the bound was read twice (the second read validated the stream's tail). The
 * `prove --out` cases of that review are in proveOutLinks.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

const config = (wal: string) => `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  audit_wal:
    directory: ${wal}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [audit_wal]
`;

describe('--config /dev/stdin over the size bound', () => {
  it('is refused as too large, not validated from the bytes left after the first bounded read', () => {
    // 12 MiB + 200 KiB of blank lines, then a valid configuration: the whole text is 12.2 M characters.
    const input = '\n'.repeat(12 * 1024 * 1024 + 200 * 1024) + config(path.join('/tmp', 'review2-wal'));
    // Through a real pipe (spawnSync's `input` is a socket, which /dev/stdin cannot open: ENXIO).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review2-cli-'));
    const file = path.join(dir, 'big.yaml');
    fs.writeFileSync(file, input);
    const r = spawnSync(
      'sh',
      ['-c', 'cat "$1" | "$2" "$3" validate --config /dev/stdin', 'sh', file, process.execPath, MAIN],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    fs.rmSync(dir, { recursive: true, force: true });
    // Before: status 0, "configuration is valid (1 source, 1 pipeline)": the tail of stdin was validated.
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/larger than/);
  }, 90_000);
});
