/**
 * prove --out never writes into the WAL it proves (from a third review, 2026-11-27; each case failed
 * before): a symlink or a hard link at the out name to a WAL file, a dangling symlink into the WAL, and
 * --out naming the WAL directory itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

async function chainedWal(dir: string, wal: string): Promise<void> {
  const { writeChainedWal } = await import('../integrity/proof/testutil/chainedWal.ts');
  const { generateKeyPair } = await import('../integrity/sign/generateKeyPair.ts');
  const keyFile = path.join(dir, 'signing.pem');
  fs.writeFileSync(keyFile, generateKeyPair('EdDSA').privateKeyPem);
  await writeChainedWal({
    walDir: wal,
    privateKeyFile: keyFile,
    streamId: 'review3',
    checkpointEveryRecords: 1,
    runs: [3],
  });
}

function snapshot(wal: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(wal).sort()) {
    const p = path.join(wal, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

describe('prove --out', () => {
  it('a symlink outside the WAL pointing at a WAL file: the WAL file is overwritten', async () => {
    const { runCli } = await import('./testutil/runCli.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review3-prove-'));
    try {
      const wal = path.join(dir, 'wal');
      await chainedWal(dir, wal);
      const before = snapshot(wal);
      const victim = Object.keys(before).find((f) => before[f] !== '') as string;
      fs.symlinkSync(path.join(wal, victim), path.join(dir, 'proof.json'));
      const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', 'proof.json'], { cwd: dir });
      const after = snapshot(wal);
      console.log(
        `review3: symlink --out: exit ${r.code}; ${victim} changed: ${after[victim] !== before[victim]}`,
      );
      expect(after).toEqual(before);
      expect(r.code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hard link outside the WAL to a WAL file: the WAL file is overwritten', async () => {
    const { runCli } = await import('./testutil/runCli.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review3-prove-'));
    try {
      const wal = path.join(dir, 'wal');
      await chainedWal(dir, wal);
      const before = snapshot(wal);
      const victim = Object.keys(before).find((f) => before[f] !== '') as string;
      fs.linkSync(path.join(wal, victim), path.join(dir, 'proof.json'));
      const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', 'proof.json'], { cwd: dir });
      const after = snapshot(wal);
      console.log(
        `review3: hardlink --out: exit ${r.code}; ${victim} changed: ${after[victim] !== before[victim]}`,
      );
      expect(after).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--out equal to the WAL directory (relative, and "."): refused up front as before (exit 2)', async () => {
    const { runCli } = await import('./testutil/runCli.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review3-prove-'));
    try {
      const wal = path.join(dir, 'wal');
      await chainedWal(dir, wal);
      const before = snapshot(wal);
      const a = await runCli(['prove', '--wal', 'wal', '--seq', '1', '--out', 'wal'], { cwd: dir });
      const b = await runCli(['prove', '--wal', '.', '--seq', '1', '--out', '.'], { cwd: wal });
      console.log(`review3: --out wal: exit ${a.code}: ${a.stderr.trim()}`);
      console.log(`review3: --out . : exit ${b.code}: ${b.stderr.trim()}`);
      expect(snapshot(wal)).toEqual(before);
      expect([a.code, b.code]).toEqual([2, 2]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--out in a directory that does not exist (outside the WAL): a clear error, WAL untouched', async () => {
    const { runCli } = await import('./testutil/runCli.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review3-prove-'));
    try {
      const wal = path.join(dir, 'wal');
      await chainedWal(dir, wal);
      const before = snapshot(wal);
      const r = await runCli(['prove', '--wal', 'wal', '--seq', '1', '--out', 'no/such/p.json'], {
        cwd: dir,
      });
      const inWal = await runCli(['prove', '--wal', 'wal', '--seq', '1', '--out', 'wal/no/p.json'], {
        cwd: dir,
      });
      console.log(`review3: missing out dir: exit ${r.code}: ${r.stderr.trim()}`);
      console.log(`review3: missing dir inside WAL: exit ${inWal.code}: ${inWal.stderr.trim()}`);
      expect(snapshot(wal)).toEqual(before);
      expect(inWal.code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a dangling symlink outside the WAL naming a new file inside it: the file is created in the WAL', async () => {
    const { runCli } = await import('./testutil/runCli.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review3-prove-'));
    try {
      const wal = path.join(dir, 'wal');
      await chainedWal(dir, wal);
      const before = fs.readdirSync(wal).sort();
      fs.symlinkSync(path.join(wal, 'planted.json'), path.join(dir, 'proof.json'));
      const r = await runCli(['prove', '--wal', wal, '--seq', '1', '--out', 'proof.json'], { cwd: dir });
      const after = fs.readdirSync(wal).sort();
      console.log(
        `review3: dangling symlink --out: exit ${r.code}; WAL entries added: ${after.filter((f) => !before.includes(f)).join(',')}`,
      );
      expect(after).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
