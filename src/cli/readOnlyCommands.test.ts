/**
 * verify / replay / prove (written in an adversarial review of the CLI) must never change a WAL
 * directory, also one with a torn tail or with a live writer holding it. Snapshot every file
 * (name, size, mode, mtime, sha256) before and after each command.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { encodeRecord } from '../record/walCodec.ts';
import { Wal } from '../wal/Wal.ts';
import { runCli, writeWal } from './testutil/runCli.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';

const tempDir = tempDirsRemovedAfterEach('review-ro-');

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.statSync(p);
      if (st.isDirectory()) {
        out[path.relative(dir, p) + '/'] = `dir ${st.mode.toString(8)} ${st.mtimeMs}`;
        walk(p);
      } else {
        const sha = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
        out[path.relative(dir, p)] = `${st.size} ${st.mode.toString(8)} ${st.mtimeMs} ${sha}`;
      }
    }
  };
  walk(dir);
  return out;
}

const READ_COMMANDS = (wal: string): string[][] => [
  ['verify', '--wal', wal],
  ['verify', '--wal', wal, '--json', '--jobs', '0'],
  ['replay', '--wal', wal],
  ['replay', '--wal', wal, '--verify', 'full'],
  ['prove', '--wal', wal, '--seq', '1'],
];

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => createAuditRecord({ body: `r ${i} ${'x'.repeat(100)}` }));

describe('read-only commands leave the WAL byte-for-byte unchanged', () => {
  it('a closed WAL with a torn tail (junk appended to the newest segment)', async () => {
    const wal = path.join(tempDir(), 'wal');
    await writeWal(wal, records(50), { segmentBytesMax: 4096, batchRecords: 1 });
    const segs = fs
      .readdirSync(wal)
      .filter((n) => n.endsWith('.wal'))
      .sort();
    fs.appendFileSync(path.join(wal, segs[segs.length - 1] as string), Buffer.from([1, 2, 3, 4, 5, 6, 7]));
    const before = snapshot(wal);
    for (const args of READ_COMMANDS(wal)) {
      const r = await runCli(args);
      expect.soft(snapshot(wal), args.join(' ')).toEqual(before);
      if (args.includes('--json')) expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    }
  });

  it('a WAL held by a live writer', async () => {
    const wal = path.join(tempDir(), 'wal');
    const writer = Wal.open({ dir: wal, syncPolicy: 'fdatasync', preallocate: 'off' });
    try {
      await writer.appendBatch(records(20).map(encodeRecord));
      const before = snapshot(wal);
      for (const args of READ_COMMANDS(wal)) {
        const r = await runCli(args);
        expect.soft(snapshot(wal), args.join(' ')).toEqual(before);
        expect.soft(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(4);
      }
    } finally {
      await writer.close();
    }
  });

  it('--wal naming a file or a missing directory: exit 1, clear message, nothing created', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    const missing = path.join(dir, 'missing');
    for (const cmd of ['verify', 'replay', 'prove']) {
      for (const wal of [file, missing]) {
        const extra = cmd === 'prove' ? ['--seq', '1'] : [];
        const r = await runCli([cmd, '--wal', wal, ...extra]);
        expect.soft(r.code, `${cmd} ${wal}: ${r.stderr}`).toBe(1);
        expect.soft(r.stdout, `${cmd} ${wal}`).toBe('');
      }
    }
    expect(fs.existsSync(missing)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
