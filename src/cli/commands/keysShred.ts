/**
 * `otel-audit keys shred --key-store DIR --master-key FILE --subject ID`:
 * crypto-shredding. Destroys the data subject's key in an `audit_encrypt`
 * key store (overwrite, unlink, directory fsync), so every value encrypted
 * for that subject becomes unreadable — `replay --key-store` shows
 * `[shredded]` — while the records, the hash chain and its signatures stay
 * intact and `verify` still passes. Prints the destroyed key id on stdout;
 * a subject without a key is not an error (nothing to destroy, exit 0).
 *
 * The subject is the value of the processor's `subject_attribute` as it was
 * when `audit_encrypt` ran (a pseudonym token, if `audit_pseudonymize`
 * replaced it first). Copies of the key store (backups, snapshots) are not
 * touched: docs/privacy.md.
 */
import type { CliIo } from '../CliIo.ts';
import type { AddCommand } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { openKeyStore } from '../../privacy/openKeyStore.ts';
import { keysCommand } from './keys.ts';

export interface KeysShredOptions {
  readonly keyStore: string;
  readonly masterKey: string;
  readonly subject: string;
}

export const addKeysShredCommand: AddCommand = (parent, context) => {
  keysCommand(parent)
    .command('shred')
    .description("destroy a data subject's key in an audit_encrypt key store (crypto-shredding)")
    .requiredOption('--key-store <dir>', 'the key store directory (audit_encrypt key_store::directory)')
    .requiredOption('--master-key <file>', "the key store's master key (standard base64 of 32 bytes)")
    .requiredOption('--subject <id>', 'the data subject (the subject_attribute value)')
    .action((options: KeysShredOptions) => context.setExitCode(runKeysShred(options, context.io)));
};

/**
 * A running `audit_encrypt` may be encrypting records of the subject right now under a new key that is not
 * in the store yet (docs/privacy.md "Shredding"): that key is written after this shred and not destroyed.
 */
const IN_FLIGHT_NOTE =
  'A key a running audit_encrypt creates for records of this subject still being processed is written ' +
  'after this and is not destroyed: once the subject stops arriving, run keys shred again.';

export function runKeysShred(o: KeysShredOptions, io: CliIo): ExitCode {
  const store = openKeyStore({ keyStore: o.keyStore, masterKey: o.masterKey, cwd: io.cwd });
  const keyId = store.shred(o.subject);
  if (keyId === undefined) {
    io.stderr.write(
      `otel-audit: keys shred: the subject has no key in ${store.directory}; nothing destroyed. ` +
        `${IN_FLIGHT_NOTE}\n`,
    );
    return EXIT.OK;
  }
  io.stdout.write(`${keyId}\n`);
  io.stderr.write(
    `otel-audit: keys shred: destroyed data key ${keyId}; values encrypted with it can no longer be ` +
      `decrypted. Copies of the key store (backups, snapshots) still hold it: destroy those too. ${IN_FLIGHT_NOTE}\n`,
  );
  return EXIT.OK;
}
