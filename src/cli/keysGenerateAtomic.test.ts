/**
 * `otel-audit keys generate` is all-or-nothing: when a file of the new key
 * cannot be written, nothing of it is left behind (no lone private key), and
 * an existing file is never replaced. Key generation is pinned (vi.mock) so
 * the test knows the file names in advance and can put something in the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { generateHmacKey, generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import type * as GenerateKeyPairModule from '../integrity/sign/generateKeyPair.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';
import { keyFileStem } from './commands/keys.ts';
import { writeKeyFiles } from './internal/writeKeyFiles.ts';
import { EXIT } from './exitCodes.ts';
import { runCli } from './testutil/runCli.ts';

vi.mock('../integrity/sign/generateKeyPair.ts', async (importOriginal) => {
  const real = await importOriginal<typeof GenerateKeyPairModule>();
  const pair = real.generateKeyPair('EdDSA');
  const hmac = real.generateHmacKey();
  return { ...real, generateKeyPair: () => pair, generateHmacKey: () => hmac };
});

const tempDir = tempDirsRemovedAfterEach('otel-audit-keys-atomic-');

const stem = keyFileStem(generateKeyPair().keyId);
const PRIVATE = `${stem}.key.pem`;
const PUBLIC = `${stem}.pub.pem`;
const HMAC = `${keyFileStem(generateHmacKey().keyId)}.key.b64`;

describe('keys generate: a file in the way', () => {
  it('the public key path exists (a file): no private key is left behind, the file is untouched', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, PUBLIC), 'someone else\n');
    const r = await runCli(['keys', 'generate', '--out', dir]);
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toContain(`INVALID_ARGUMENT: ${path.join(dir, PUBLIC)} exists already; not overwritten`);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(dir)).toEqual([PUBLIC]);
    expect(fs.readFileSync(path.join(dir, PUBLIC), 'utf8')).toBe('someone else\n');
  });

  it('the public key path is a directory: nothing is left behind', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, PUBLIC));
    const r = await runCli(['keys', 'generate', '--out', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(dir)).toEqual([PUBLIC]);
    expect(fs.readdirSync(path.join(dir, PUBLIC))).toEqual([]);
  });

  it('the private key path exists: the public key just written is removed again, the file is untouched', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, PRIVATE), 'old private key\n', { mode: 0o600 });
    const r = await runCli(['keys', 'generate', '--out', dir]);
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toContain(`${path.join(dir, PRIVATE)} exists already; not overwritten`);
    expect(fs.readdirSync(dir)).toEqual([PRIVATE]);
    expect(fs.readFileSync(path.join(dir, PRIVATE), 'utf8')).toBe('old private key\n');
  });

  it('HMAC: the secret path exists: untouched, no temporary file left', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, HMAC), 'old\n');
    const r = await runCli(['keys', 'generate', '--algorithm', 'HMAC-SHA256', '--out', dir]);
    expect(r.code).toBe(EXIT.INVALID);
    expect(fs.readdirSync(dir)).toEqual([HMAC]);
    expect(fs.readFileSync(path.join(dir, HMAC), 'utf8')).toBe('old\n');
  });

  it('with nothing in the way, both files are written (0600 private key) and nothing else', async () => {
    const dir = tempDir();
    const r = await runCli(['keys', 'generate', '--out', dir]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual([PRIVATE, PUBLIC].sort());
    expect(fs.statSync(path.join(dir, PRIVATE)).mode & 0o777).toBe(0o600);
    expect(r.stderr).toBe(
      `otel-audit: keys generate: wrote ${path.join(dir, PRIVATE)}\n` +
        `otel-audit: keys generate: wrote ${path.join(dir, PUBLIC)}\n`,
    );
  });
});

describe('writeKeyFiles: which directories are fsynced', () => {
  const files = [
    { name: 'a.pub.pem', text: 'public\n', mode: 0o644 },
    { name: 'a.key.pem', text: 'private\n', mode: 0o600 },
  ];

  it('an existing directory: only it (after each file), not its parent, whose entries did not change', () => {
    const dir = tempDir();
    const synced: string[] = [];
    const written = writeKeyFiles(dir, files, { syncDirectory: (d) => synced.push(d) });
    expect(written).toEqual([path.join(dir, 'a.pub.pem'), path.join(dir, 'a.key.pem')]);
    expect(synced).toEqual([dir, dir]);
    expect(fs.readFileSync(path.join(dir, 'a.key.pem'), 'utf8')).toBe('private\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['a.key.pem', 'a.pub.pem']);
  });

  it('directories it created: also the parent of every level created, up to the existing one', () => {
    const root = tempDir();
    const dir = path.join(root, 'x', 'y');
    const synced: string[] = [];
    writeKeyFiles(dir, files, { syncDirectory: (d) => synced.push(d) });
    expect(synced).toEqual([dir, dir, root, path.join(root, 'x')]);
    expect(fs.statSync(path.join(root, 'x')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('a temporary name that cannot be removed: the error is thrown and no key material is left', () => {
    const dir = tempDir();
    let calls = 0;
    // After the first link, the public key's temporary name vanishes: removing it fails (ENOENT), and
    // the private key's temporary name (key material) must still be cleaned up.
    const removePublicTemporary = (d: string): void => {
      if (calls++ > 0) return;
      for (const name of fs.readdirSync(d))
        if (name.startsWith('.a.pub.pem.tmp-')) fs.unlinkSync(path.join(d, name));
    };
    expect(() => writeKeyFiles(dir, files, { syncDirectory: removePublicTemporary })).toThrow(/ENOENT/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a failing directory sync undoes the files (the error is thrown)', () => {
    const dir = tempDir();
    const failing = (): never => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', syscall: 'fsync' });
    };
    expect(() => writeKeyFiles(dir, files, { syncDirectory: failing })).toThrow(/EIO/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('writeKeyFiles on a file system without hard links (link fails as vfat, SMB or FUSE make it)', () => {
  const files = [
    { name: 'a.pub.pem', text: 'public\n', mode: 0o644 },
    { name: 'a.key.pem', text: 'private\n', mode: 0o600 },
  ];
  const noLinks =
    (code: string) =>
    (existing: string, newPath: string): never => {
      throw Object.assign(new Error(`${code}: operation not permitted, link '${existing}' -> '${newPath}'`), {
        code,
        syscall: 'link',
      });
    };

  for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']) {
    it(`link fails with ${code}: every file is published whole with its mode, no temporary name is left`, () => {
      const dir = tempDir();
      const synced: string[] = [];
      const links: string[] = [];
      const link = (existing: string, newPath: string): never => {
        links.push(path.basename(newPath));
        return noLinks(code)(existing, newPath);
      };
      const written = writeKeyFiles(dir, files, { link, syncDirectory: (d) => synced.push(d) });
      expect(links).toEqual(['a.pub.pem', 'a.key.pem']);
      expect(written).toEqual([path.join(dir, 'a.pub.pem'), path.join(dir, 'a.key.pem')]);
      expect(fs.readdirSync(dir).sort()).toEqual(['a.key.pem', 'a.pub.pem']);
      expect(fs.readFileSync(path.join(dir, 'a.pub.pem'), 'utf8')).toBe('public\n');
      expect(fs.readFileSync(path.join(dir, 'a.key.pem'), 'utf8')).toBe('private\n');
      expect(fs.statSync(path.join(dir, 'a.key.pem')).mode & 0o777).toBe(0o600);
      expect(synced).toEqual([dir, dir]);
    });
  }

  it('an existing private key is not overwritten, and the public key just published is removed again', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.key.pem'), 'old private key\n', { mode: 0o600 });
    expect(() => writeKeyFiles(dir, files, { link: noLinks('EPERM') })).toThrow(
      `${path.join(dir, 'a.key.pem')} exists already; not overwritten`,
    );
    expect(fs.readdirSync(dir)).toEqual(['a.key.pem']);
    expect(fs.readFileSync(path.join(dir, 'a.key.pem'), 'utf8')).toBe('old private key\n');
  });

  it('another link error (EIO) is not taken for "no hard links": thrown, nothing left behind', () => {
    const dir = tempDir();
    expect(() => writeKeyFiles(dir, files, { link: noLinks('EIO') })).toThrow(/EIO/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
