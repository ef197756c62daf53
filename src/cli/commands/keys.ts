/**
 * `otel-audit keys`: key material for `audit_sign` and `verify`.
 *
 *   keys generate [--algorithm EdDSA|ES256|RS256|RS512|HMAC-SHA256] --out DIR
 *       writes `<key id>.key.pem` (PKCS#8, mode 0600) and `<key id>.pub.pem`
 *       (SPKI) — or, for HMAC-SHA256, `<key id>.key.b64` (base64 secret,
 *       mode 0600) — into DIR (created 0700 if missing; an existing file is
 *       never overwritten), and prints the key id on stdout. The key id's
 *       `:` becomes `-` in file names (`sha256-<hex>.key.pem`). All or
 *       nothing: if any file cannot be written (one exists already, disk
 *       full), none is left behind (internal/writeKeyFiles.ts), nor any
 *       directory level the command created (keysDirectory.ts).
 *   keys id (--public-key FILE | --hmac-key FILE)
 *       prints the key id of a public key, certificate or HMAC secret
 *       (docs/integrity.md, section 4.4).
 *
 * `keys` is a command group other files extend. To add `keys <name>` from
 * another file, without touching this one:
 *
 *   export const addKeysShredCommand: AddCommand = (parent, context) => {
 *     keysCommand(parent).command('shred').description('…').action(…);
 *   };
 *
 * and list `addKeysShredCommand` after `addKeysCommand` in cli.ts's
 * COMMANDS. `keysCommand(parent)` returns the one `keys` command of
 * `parent`, creating it on first use, so the order of the two lines only
 * decides the order in `keys --help`.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import {
  DEFAULT_SIGNATURE_ALGORITHM,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from '../../integrity/sign/algorithms.ts';
import { generateHmacKey, generateKeyPair } from '../../integrity/sign/generateKeyPair.ts';
import { keyId } from '../../integrity/sign/keyId.ts';
import { loadHmacKey, loadPublicKey } from '../../integrity/sign/loadKeys.ts';
import { OtelAuditError } from '../../errors.ts';
import type { CliIo } from '../CliIo.ts';
import type { AddCommand } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { writeKeyFiles, type KeyFile } from '../internal/writeKeyFiles.ts';
import { makeKeyDirectory, removeKeyDirectories, syncKeyDirectories } from './keysDirectory.ts';

export interface KeysGenerateOptions {
  readonly algorithm: SignatureAlgorithm;
  readonly out: string;
}

export interface KeysIdOptions {
  readonly publicKey?: string;
  readonly hmacKey?: string;
}

/** The `keys` command group of `parent`, created on first use (see the module comment). */
export function keysCommand(parent: Command): Command {
  return (
    parent.commands.find((c) => c.name() === 'keys') ??
    parent.command('keys').description('manage keys: generate signing keys, print key ids, ...')
  );
}

export const addKeysCommand: AddCommand = (parent, context) => {
  const keys = keysCommand(parent);
  keys
    .command('generate')
    .description('generate a signing key pair (or HMAC secret) and print its key id')
    .addOption(
      new Option('--algorithm <name>', 'signature algorithm')
        .choices(SIGNATURE_ALGORITHMS)
        .default(DEFAULT_SIGNATURE_ALGORITHM),
    )
    .requiredOption('--out <dir>', 'directory for the key files (created if missing)')
    .action((options: KeysGenerateOptions) => context.setExitCode(runKeysGenerate(options, context.io)));
  keys
    .command('id')
    .description('print the key id of a public key, certificate or HMAC secret')
    .option('--public-key <file>', 'public key or X.509 certificate (PEM)')
    .option('--hmac-key <file>', 'HMAC-SHA256 secret (standard base64)')
    .action((options: KeysIdOptions) => context.setExitCode(runKeysId(options, context.io)));
};

/** `sha256:ab12…` → `sha256-ab12…`: only letters, digits, `.`, `_` and `-` in file names. */
export function keyFileStem(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '-');
}

export function runKeysGenerate(o: KeysGenerateOptions, io: CliIo): ExitCode {
  const dir = path.resolve(io.cwd, o.out);
  let id: string;
  let files: KeyFile[];
  if (o.algorithm === 'HMAC-SHA256') {
    const key = generateHmacKey();
    id = key.keyId;
    files = [{ name: `${keyFileStem(id)}.key.b64`, text: `${key.keyBase64}\n`, mode: 0o600 }];
  } else {
    const pair = generateKeyPair(o.algorithm);
    id = pair.keyId;
    // Public first, private last: a crash between the two leaves at most a public key (writeKeyFiles).
    files = [
      { name: `${keyFileStem(id)}.pub.pem`, text: pair.publicKeyPem, mode: 0o644 },
      { name: `${keyFileStem(id)}.key.pem`, text: pair.privateKeyPem, mode: 0o600 },
    ];
  }
  // All or nothing (directories it created included), and durable before the id is printed.
  const created = makeKeyDirectory(dir);
  let written: string[];
  try {
    syncKeyDirectories(created); // first: a failure here leaves no key file to take back
    written = writeKeyFiles(dir, files);
  } catch (error) {
    removeKeyDirectories(created);
    throw error;
  }
  io.stdout.write(`${id}\n`);
  for (const file of written.reverse()) io.stderr.write(`otel-audit: keys generate: wrote ${file}\n`);
  return EXIT.OK;
}

export function runKeysId(o: KeysIdOptions, io: CliIo): ExitCode {
  if ((o.publicKey === undefined) === (o.hmacKey === undefined)) {
    throw new OtelAuditError('INVALID_ARGUMENT', 'keys id: give exactly one of --public-key and --hmac-key');
  }
  const key =
    o.publicKey !== undefined
      ? loadPublicKey({ file: path.resolve(io.cwd, o.publicKey) })
      : loadHmacKey({ file: path.resolve(io.cwd, o.hmacKey as string) });
  io.stdout.write(`${keyId(key)}\n`);
  return EXIT.OK;
}
