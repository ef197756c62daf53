import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../privacy/KeyStore.ts';
import { loadSecretKey } from '../privacy/KeyProvider.ts';
import { SecretKeyRing } from '../privacy/SecretKey.ts';
import { writeKeyFile } from '../privacy/testutil/keys.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { runCli } from './testutil/runCli.ts';

const tmp = makeTempDir('otel-audit-cli-shred-');
afterAll(() => tmp.cleanup());
const master = writeKeyFile(tmp.dir, 'master.key');
const store = path.join(tmp.dir, 'keys');
const open = () =>
  KeyStore.open({
    directory: store,
    masterKeys: new SecretKeyRing([loadSecretKey({ file: master })], 'm'),
    create: true,
  });

describe('otel-audit keys shred', () => {
  it('destroys the subject key, prints its id, and is a no-op the second time', async () => {
    const id = open().keyForSubject('user-7').id;
    const other = open().keyForSubject('user-8').id;
    const args = [
      'keys',
      'shred',
      '--key-store',
      'keys',
      '--master-key',
      'master.key',
      '--subject',
      'user-7',
    ];
    const first = await runCli(args, { cwd: tmp.dir });
    expect(first).toMatchObject({ code: 0, stdout: `${id}\n` });
    expect(first.stderr).toMatch(/destroyed data key .*backups/);
    // Records of the subject still being processed get a key written after the shred: the operator is told.
    expect(first.stderr).toMatch(/still being processed is written after this and is not destroyed/);
    expect(open().keyById(id)).toBeUndefined();
    expect(open().keyById(other)?.id).toBe(other);
    const second = await runCli(args, { cwd: tmp.dir });
    expect(second).toMatchObject({ code: 0, stdout: '' });
    expect(second.stderr).toMatch(/has no key .*nothing destroyed.*run keys shred again/);
  });

  it('refuses another master key, a directory that is no key store, and missing options', async () => {
    open();
    const wrong = writeKeyFile(tmp.dir, 'wrong.key');
    const shred = (s: string, m: string) =>
      runCli(['keys', 'shred', '--key-store', s, '--master-key', m, '--subject', 'x'], { cwd: tmp.dir });
    const r = await shred(store, wrong);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^otel-audit: KEY_NOT_FOUND: key store .* needs master key [0-9a-f]{16}/);
    expect((await shred(tmp.dir, master)).stderr).toMatch(/INVALID_ARGUMENT: .* is not a key store/);
    expect((await runCli(['keys', 'shred', '--key-store', store, '--master-key', master])).code).toBe(2);
    const help = await runCli(['keys', '--help']);
    expect(help.stdout).toMatch(/generate[\s\S]*id[\s\S]*shred/);
  });
});
