/**
 * Opening an existing key store from the command line (`keys shred`,
 * `replay --key-store`): the master key from a file (standard base64 of 32
 * bytes), the directory must already be a key store. Paths are relative to
 * `cwd`.
 */
import path from 'node:path';
import { OtelAuditError } from '../errors.ts';
import { loadSecretKey } from './KeyProvider.ts';
import { KeyStore } from './KeyStore.ts';
import { RecordDecryptor } from './RecordDecryptor.ts';
import { SecretKeyRing } from './SecretKey.ts';

export interface OpenKeyStoreOptions {
  readonly keyStore: string;
  readonly masterKey: string;
  readonly cwd: string;
}

export function openKeyStore(o: OpenKeyStoreOptions): KeyStore {
  const master = loadSecretKey({ file: path.resolve(o.cwd, o.masterKey) });
  return KeyStore.open({
    directory: path.resolve(o.cwd, o.keyStore),
    masterKeys: new SecretKeyRing([master], 'master'),
    create: false,
  });
}

/** A decryptor for `--key-store` / `--master-key` (both or neither); undefined when neither is given. */
export function openRecordDecryptor(o: {
  readonly keyStore?: string;
  readonly masterKey?: string;
  readonly cwd: string;
}): RecordDecryptor | undefined {
  if (o.keyStore === undefined && o.masterKey === undefined) return undefined;
  if (o.keyStore === undefined || o.masterKey === undefined) {
    throw new OtelAuditError('INVALID_ARGUMENT', '--key-store and --master-key go together');
  }
  return new RecordDecryptor(openKeyStore({ keyStore: o.keyStore, masterKey: o.masterKey, cwd: o.cwd }));
}
