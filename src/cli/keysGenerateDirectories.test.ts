/**
 * `keys generate` removes the directory levels it created when writing the key files fails, and only
 * those (node:fs mocked: publishing a key file fails with EIO).
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';
import { runCli } from './testutil/runCli.ts';

const hooks = vi.hoisted(() => ({ linkFails: false }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const fail = (): never => {
    throw Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO' });
  };
  return {
    ...real,
    linkSync: (a: fs.PathLike, b: fs.PathLike) => (hooks.linkFails ? fail() : real.linkSync(a, b)),
  };
});

const tempDir = tempDirsRemovedAfterEach('otel-audit-keys-dirs-');

async function generateFailing(out: string): Promise<number> {
  hooks.linkFails = true;
  try {
    return (await runCli(['keys', 'generate', '--out', out])).code;
  } finally {
    hooks.linkFails = false;
  }
}

describe('keys generate: a failure leaves no directory it created', () => {
  it('the levels of a new nested --out are removed; the existing parent stays', async () => {
    const root = tempDir();
    expect(await generateFailing(path.join(root, 'new', 'keys', 'signing'))).not.toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('an existing directory is never removed, even empty: only the level below it that was made', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'existing'));
    expect(await generateFailing(path.join(root, 'existing', 'made'))).not.toBe(0);
    expect(fs.readdirSync(root)).toEqual(['existing']);
    expect(fs.readdirSync(path.join(root, 'existing'))).toEqual([]);
    expect(await generateFailing(path.join(root, 'existing'))).not.toBe(0);
    expect(fs.existsSync(path.join(root, 'existing'))).toBe(true);
  });

  it('after a success the directories stay (0700), with the key files', async () => {
    const out = path.join(tempDir(), 'a', 'b');
    expect((await runCli(['keys', 'generate', '--out', out])).code).toBe(0);
    expect(fs.readdirSync(out)).toHaveLength(2);
    expect(fs.statSync(path.dirname(out)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(out).mode & 0o777).toBe(0o700);
  });
});
