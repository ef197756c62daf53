/**
 * Test helper: an audit_encrypt processor over a key store directory (body encrypted), started, and a
 * second reader of that store (as an operator's CLI or a restarted process would open it).
 */
import { KeyStore } from '../../../src/privacy/KeyStore.ts';
import { secretKeyFromBytes, SecretKeyRing } from '../../../src/privacy/SecretKey.ts';
import type { RecordProcessor } from '../../../src/pipeline/RecordProcessor.ts';
import type { EncryptProcessor } from '../EncryptProcessor.ts';
import { testSettings } from '../../filter/testing/loadProcessorConfigs.ts';
import { auditEncryptConfigSchema } from '../config.ts';
import { auditEncryptProcessorFactory } from '../factory.ts';

/** A reader of the key store at `directory` (not created), with `masterBase64` as its master key. */
export function readKeyStore(directory: string, masterBase64: string): KeyStore {
  return KeyStore.open({
    directory,
    masterKeys: new SecretKeyRing(
      [secretKeyFromBytes(Buffer.from(masterBase64, 'base64'), 'master')],
      'master',
    ),
    create: false,
  });
}

export interface StartedWithStore {
  readonly p: RecordProcessor;
  readonly settings: ReturnType<typeof testSettings>;
  /** A reader of the processor's store (opened after the processor started). */
  readonly store: KeyStore;
  readonly directory: string;
}

/**
 * An audit_encrypt processor (`body: true`, not started) whose key store is `directory` with `masterBase64`
 * as its master key; `config` adds to (or overrides) that configuration.
 */
export function encryptProcessor(
  settings: ReturnType<typeof testSettings>,
  directory: string,
  masterBase64: string,
  config: Record<string, unknown> = {},
): EncryptProcessor {
  return auditEncryptProcessorFactory.create(
    settings,
    auditEncryptConfigSchema.parse({
      ...(auditEncryptProcessorFactory.createDefaultConfig() as object),
      body: true,
      key_store: { directory, master_keys: [{ value: masterBase64 }] },
      ...config,
    }),
  ) as EncryptProcessor;
}

/** Starts an audit_encrypt processor (`body: true`) whose key store is `directory`, and opens a reader of it. */
export async function startedWithStore(directory: string, masterBase64: string): Promise<StartedWithStore> {
  const settings = testSettings('audit_encrypt');
  const p = encryptProcessor(settings, directory, masterBase64);
  await p.start();
  return { p, settings, store: readKeyStore(directory, masterBase64), directory };
}
