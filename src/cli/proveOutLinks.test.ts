/**
 * prove --out never writes into the WAL it proves (from the reviews of 2026-11-27; each case failed before
 * its fix): a symlink or hard link at the out name to a WAL file, a dangling symlink into the WAL, a
 * directory reached through a symlink, a name starting with "..", and --out naming the WAL directory itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import { writeChainedWal } from '../integrity/proof/testutil/chainedWal.ts';
import { runCli } from './testutil/runCli.ts';

/** Every file of the WAL directory, by name, with its bytes. */
function snapshot(wal: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(wal).sort()) {
    const p = path.join(wal, f);
    out[f] = fs.statSync(p).isFile() ? fs.readFileSync(p).toString('base64') : '(dir)';
  }
  return out;
}

/** A signed, chained WAL of 3 records in `<tmp>/wal`; `body` runs with it; the WAL must be unchanged after. */
async function withChainedWal(body: (dir: string, wal: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-prove-out-'));
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
    const before = snapshot(wal);
    await body(dir, wal);
    expect(snapshot(wal)).toEqual(before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const prove = (wal: string, out: string, cwd: string) =>
  runCli(['prove', '--wal', wal, '--seq', '1', '--out', out], { cwd });

describe('prove --out', () => {
  it('a symlink at the out name to a WAL file is refused (it overwrote the segment)', () =>
    withChainedWal(async (dir, wal) => {
      const victim = fs.readdirSync(wal).find((f) => f.endsWith('.wal')) as string;
      fs.symlinkSync(path.join(wal, victim), path.join(dir, 'proof.json'));
      expect((await prove(wal, 'proof.json', dir)).code).toBe(2);
    }));

  it('a hard link at the out name to a WAL file is replaced, not written through', () =>
    withChainedWal(async (dir, wal) => {
      const victim = fs.readdirSync(wal).find((f) => f.endsWith('.wal')) as string;
      fs.linkSync(path.join(wal, victim), path.join(dir, 'proof.json'));
      expect((await prove(wal, 'proof.json', dir)).code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'proof.json'), 'utf8')).toContain('"inclusion');
    }));

  it('a dangling symlink naming a new file inside the WAL is replaced, nothing created there (it was)', () =>
    withChainedWal(async (dir, wal) => {
      fs.symlinkSync(path.join(wal, 'planted.json'), path.join(dir, 'proof.json'));
      expect((await prove(wal, 'proof.json', dir)).code).toBe(0);
      expect(fs.lstatSync(path.join(dir, 'proof.json')).isFile()).toBe(true);
    }));

  it('a directory reaching the WAL through a symlink is refused', () =>
    withChainedWal(async (dir, wal) => {
      fs.symlinkSync(wal, path.join(dir, 'link'));
      expect((await prove(wal, path.join(dir, 'link', 'proof.json'), dir)).code).toBe(2);
    }));

  it('a file whose name starts with ".." inside the WAL is refused like any other path inside it', () =>
    withChainedWal(async (dir, wal) => {
      expect((await prove(wal, path.join(wal, '..proof.json'), dir)).code).toBe(2);
    }));

  it('--out naming the WAL directory itself (relative, and ".") is refused up front (exit 2)', () =>
    withChainedWal(async (dir, wal) => {
      expect((await prove('wal', 'wal', dir)).code).toBe(2);
      expect((await prove('.', '.', wal)).code).toBe(2);
    }));

  it('--out in a directory that does not exist: inside the WAL refused (2); outside a clear failure', () =>
    withChainedWal(async (dir) => {
      expect((await prove('wal', 'wal/no/p.json', dir)).code).toBe(2);
      const outside = await prove('wal', 'no/such/p.json', dir);
      expect(outside.code).toBe(4);
      expect(outside.stderr).toContain('ENOENT');
    }));
});
