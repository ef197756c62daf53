import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../integrity/sign/algorithms.ts';
import { keyId } from '../integrity/sign/keyId.ts';
import { loadSigningKey } from '../integrity/sign/signingKey.ts';
import { signBytes, verifyBytes } from '../integrity/sign/signBytes.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';
import { addKeysCommand, keyFileStem, keysCommand } from './commands/keys.ts';
import { runCli } from './testutil/runCli.ts';

const tempDir = tempDirsRemovedAfterEach('otel-audit-keys-');

const mode = (file: string): number => fs.statSync(file).mode & 0o777;

describe('otel-audit keys generate', () => {
  it.each(SIGNATURE_ALGORITHMS.filter((a) => a !== 'HMAC-SHA256'))(
    '%s: a 0600 private key and a public key named after the key id, which is printed',
    async (algorithm: SignatureAlgorithm) => {
      const dir = path.join(tempDir(), 'new', 'keys');
      const r = await runCli(['keys', 'generate', '--algorithm', algorithm, '--out', dir]);
      expect(r.code).toBe(0);
      const id = r.stdout.trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const stem = path.join(dir, `sha256-${id.slice('sha256:'.length)}`);
      expect(fs.readdirSync(dir).sort()).toEqual([
        `${path.basename(stem)}.key.pem`,
        `${path.basename(stem)}.pub.pem`,
      ]);
      expect(mode(`${stem}.key.pem`)).toBe(0o600);
      expect(mode(dir)).toBe(0o700);
      expect(r.stderr).toContain(`wrote ${stem}.key.pem`);
      // The files work for audit_sign (private key) and verify (public key), and the id is theirs.
      const signing = loadSigningKey({ algorithm, privateKey: { file: `${stem}.key.pem` } });
      expect(signing.keyId).toBe(id);
      const publicKey = createPublicKey(fs.readFileSync(`${stem}.pub.pem`));
      expect(keyId(publicKey)).toBe(id);
      const data = Buffer.from('checkpoint');
      expect(verifyBytes(algorithm, publicKey, data, signBytes(algorithm, signing.key, data))).toBe(true);
      expect((await runCli(['keys', 'id', '--public-key', `${stem}.pub.pem`])).stdout).toBe(`${id}\n`);
    },
  );

  it('HMAC-SHA256: a 0600 base64 secret file, and its key id', async () => {
    const dir = tempDir();
    const r = await runCli(['keys', 'generate', '--algorithm', 'HMAC-SHA256', '--out', dir]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const file = path.join(dir, `${keyFileStem(id)}.key.b64`);
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);
    expect(mode(file)).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(loadSigningKey({ algorithm: 'HMAC-SHA256', hmacKey: { file } }).keyId).toBe(id);
    expect((await runCli(['keys', 'id', '--hmac-key', file])).stdout).toBe(`${id}\n`);
  });

  it('EdDSA by default; relative --out from the working directory; never overwrites', async () => {
    const dir = tempDir();
    const r = await runCli(['keys', 'generate', '--out', 'k'], { cwd: dir });
    expect(r.code).toBe(0);
    const files = fs.readdirSync(path.join(dir, 'k'));
    expect(files).toHaveLength(2);
    const key = createPrivateKey(fs.readFileSync(path.join(dir, 'k', files[0] as string)));
    expect(key.asymmetricKeyType).toBe('ed25519');
    // A second key lands next to the first.
    expect((await runCli(['keys', 'generate', '--out', 'k'], { cwd: dir })).code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'k'))).toHaveLength(4);
  });

  it('usage errors: unknown algorithm, missing --out (exit 2)', async () => {
    const bad = await runCli(['keys', 'generate', '--algorithm', 'ES512', '--out', tempDir()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /argument 'ES512' is invalid. Allowed choices are EdDSA, ES256, RS256, RS512, HMAC-SHA256/,
    );
    expect((await runCli(['keys', 'generate'])).code).toBe(2);
    expect((await runCli(['keys', 'nonsense'])).code).toBe(2);
  });
});

describe('otel-audit keys id', () => {
  const vectors = (name: string): string =>
    fileURLToPath(new URL(`../../testdata/integrity/vectors/${name}`, import.meta.url));

  it('prints the key id of a public key or of the key in a certificate (the same id)', async () => {
    const key = createPrivateKey(fs.readFileSync(vectors('test-ed25519-key.pem')));
    const dir = tempDir();
    const pub = path.join(dir, 'pub.pem');
    fs.writeFileSync(pub, createPublicKey(key).export({ type: 'spki', format: 'pem' }));
    const fromKey = await runCli(['keys', 'id', '--public-key', pub]);
    expect(fromKey).toEqual({ code: 0, stdout: `${keyId(key)}\n`, stderr: '' });
    expect((await runCli(['keys', 'id', '--public-key', vectors('test-ed25519-cert.pem')])).stdout).toBe(
      `${keyId(key)}\n`,
    );
  });

  it('bad input is exit 1: neither or both options, a private key, a missing file', async () => {
    const none = await runCli(['keys', 'id']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/give exactly one of --public-key and --hmac-key/);
    const priv = await runCli(['keys', 'id', '--public-key', vectors('test-ed25519-key.pem')]);
    expect(priv.code).toBe(1);
    expect(priv.stderr).toMatch(/KEY_INVALID/);
    expect((await runCli(['keys', 'id', '--public-key', '/nonexistent/key.pem'])).code).toBe(1);
  });
});

describe('keysCommand: the keys group other files extend', () => {
  const context = {
    io: { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: '/' },
    setExitCode: () => 0,
  };

  it('returns the one keys command, whichever side creates it first', () => {
    for (const addFirst of [true, false]) {
      const program = new Command('otel-audit');
      if (addFirst) addKeysCommand(program, context);
      keysCommand(program).command('shred').description('shred a key');
      if (!addFirst) addKeysCommand(program, context);
      expect(program.commands.map((c) => c.name())).toEqual(['keys']);
      expect(
        keysCommand(program)
          .commands.map((c) => c.name())
          .sort(),
      ).toEqual(['generate', 'id', 'shred']);
    }
  });

  it('keys --help lists its subcommands', async () => {
    const r = await runCli(['keys', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}generate \[options\] +generate a signing key pair/m);
    expect(r.stdout).toMatch(/^ {2}id \[options\] +print the key id/m);
  });
});
