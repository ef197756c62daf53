/**
 * Found by review (2026-11-27), each failing before its fix: `verify --json` of a directory with no WAL frame
 * said `"ok": true` beside `"nothingVerified": true`; `prove --out` renamed a new regular file over whatever
 * was at the path — a device (`/dev/null` as root), a FIFO — and failed on `/dev/fd/N` (`--out >(gzip)`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import { writeChainedWal } from '../integrity/proof/testutil/chainedWal.ts';
import { runCli } from './testutil/runCli.ts';

async function withChainedWal(body: (dir: string, wal: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-cfg-'));
  try {
    const wal = path.join(dir, 'wal');
    const keyFile = path.join(dir, 'signing.pem');
    fs.writeFileSync(keyFile, generateKeyPair('EdDSA').privateKeyPem);
    await writeChainedWal({
      walDir: wal,
      privateKeyFile: keyFile,
      streamId: 's',
      checkpointEveryRecords: 1,
      runs: [3],
    });
    await body(dir, wal);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('verify --json of an empty directory', () => {
  it('does not say "ok": true next to "nothingVerified": true (a jq .ok gate passes a mistyped --wal)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-cfg-empty-'));
    try {
      const r = await runCli(['verify', '--wal', dir, '--json']);
      const json = JSON.parse(r.stdout) as { ok: boolean; nothingVerified: boolean };
      expect(r.code).toBe(1);
      expect(json.nothingVerified).toBe(true);
      expect(json.ok).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prove --out to something that is not a regular file', () => {
  it.runIf(process.getuid?.() === 0)(
    'a character device (like /dev/null) is written to, not replaced by a regular file',
    () =>
      withChainedWal(async (dir, wal) => {
        const devNull = path.join(dir, 'null');
        execFileSync('mknod', [devNull, 'c', '1', '3']);
        const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', devNull], { cwd: dir });
        expect(r.code).toBe(0);
        // `--out /dev/null` as root renames a new regular file over the system's /dev/null.
        expect(fs.lstatSync(devNull).isCharacterDevice()).toBe(true);
      }),
  );

  it('a FIFO (a reader waiting on it) is written to, not replaced by a regular file', () =>
    withChainedWal(async (dir, wal) => {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', fifo], { cwd: dir });
        expect(r.code).toBe(0);
        expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('/dev/fd/N (process substitution, `--out >(gzip)`) works as before', () =>
    withChainedWal(async (dir, wal) => {
      const sink = path.join(dir, 'sink.json');
      const fd = fs.openSync(sink, 'w');
      try {
        const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', `/dev/fd/${fd}`], { cwd: dir });
        expect(r.stderr).not.toContain('ENOENT');
        expect(r.code).toBe(0);
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(sink, 'utf8')).toContain('"inclusion');
    }));
});
