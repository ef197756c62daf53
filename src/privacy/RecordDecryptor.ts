/**
 * Shows encrypted records to someone holding the key store and master key
 * (`replay --key-store`, and any exporter that wants plaintext): every
 * `enc:v1:` value in the attributes and the body, at any kvlist depth, is
 * replaced by the value it encrypts — or by `[shredded]` when its data key
 * was destroyed, or `[undecryptable]` (reported) when it fails
 * authentication or its key store entry is damaged. No configuration is
 * needed: each value names its key and its field path is where it is found.
 * The record itself is never changed; a copy is returned.
 */
import { OtelAuditError } from '../errors.ts';
import { isKeyValueList, type AnyValue, type KeyValue } from '../record/AnyValue.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { decryptValue, parseEncryptedValue } from './encryptedValue.ts';
import type { KeyStore } from './KeyStore.ts';

export const SHREDDED_MARKER = '[shredded]';
export const UNDECRYPTABLE_MARKER = '[undecryptable]';

/** Called for each value that could not be decrypted (not for shredded ones). */
export type DecryptionProblemHandler = (message: string) => void;

export class RecordDecryptor {
  private readonly store: KeyStore;

  constructor(store: KeyStore) {
    this.store = store;
  }

  reveal(record: AuditRecord, onProblem: DecryptionProblemHandler = () => undefined): AuditRecord {
    const time = record.timeUnixNano;
    const visit = (value: AnyValue, path: readonly string[]): AnyValue => {
      if (typeof value === 'string') return this.decrypt(value, path, time, onProblem);
      if (!isKeyValueList(value)) return value;
      return { values: this.list(value.values, path, visit) };
    };
    const attributes = this.list(record.attributes, ['attributes'], visit);
    const body = record.body === undefined ? undefined : visit(record.body, ['body']);
    return { ...record, attributes, body };
  }

  private list(
    list: readonly KeyValue[],
    path: readonly string[],
    visit: (value: AnyValue, path: readonly string[]) => AnyValue,
  ): KeyValue[] {
    return list.map((kv) => {
      const value = visit(kv.value, [...path, kv.key]);
      return value === kv.value ? kv : { key: kv.key, value };
    });
  }

  private decrypt(
    text: string,
    path: readonly string[],
    timeUnixNano: bigint,
    onProblem: DecryptionProblemHandler,
  ): AnyValue {
    const parsed = parseEncryptedValue(text);
    if (parsed === undefined) return text;
    try {
      const key = this.store.keyById(parsed.keyId);
      if (key === undefined) return SHREDDED_MARKER;
      return decryptValue(parsed, key.key, { path, timeUnixNano });
    } catch (error) {
      if (!(error instanceof OtelAuditError)) throw error;
      onProblem(`${path.join('/')}: ${error.code}: ${error.message}`);
      return UNDECRYPTABLE_MARKER;
    }
  }
}
