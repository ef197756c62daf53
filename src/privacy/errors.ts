/**
 * Typed errors of the privacy layer (codes in src/errors.ts). Bad key
 * material (unreadable, not base64, not 32 bytes) is the signature layer's
 * `KeyInvalidError` (KEY_INVALID), so one code means "this key cannot be used"
 * everywhere.
 */
import { OtelAuditError } from '../errors.ts';

/**
 * The data names a key that is not available: a token or ciphertext made with
 * another key than the one given, or a key store entry wrapped with a master
 * key that is not configured. Never the key material, only key ids.
 */
export class KeyNotFoundError extends OtelAuditError {
  constructor(message: string) {
    super('KEY_NOT_FOUND', message);
  }
}

/** A pseudonym token or an encrypted value that does not follow its documented format. */
export class CiphertextMalformedError extends OtelAuditError {
  constructor(message: string) {
    super('CIPHERTEXT_MALFORMED', message);
  }
}

/**
 * AES-256-GCM authentication failed: the ciphertext, its nonce or tag, or what
 * it is bound to (key id, field, record time) was changed — or the key is not
 * the one it was made with.
 */
export class DecryptFailedError extends OtelAuditError {
  constructor(message: string) {
    super('DECRYPT_FAILED', message);
  }
}

/** A key store file that cannot be read as what it must be (format, version, authentication). */
export class KeyStoreCorruptError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('KEY_STORE_CORRUPT', message, { cause });
  }
}

/** The key store directory could not be read or written (permissions, disk full, lock held). Retryable. */
export class KeyStoreIoError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('KEY_STORE_IO', message, { cause, retryable: true });
  }
}

/**
 * The key store already holds its maximum of keys not yet known durable (`KeyStoreOptions.pendingEntriesMax`):
 * their syncs keep failing (a failing disk) or have not completed. A new subject is refused, before any
 * file is written, instead of piling more keys up in memory. Retryable: the sender keeps its records.
 */
export class KeyStoreBacklogError extends KeyStoreIoError {}

/**
 * The data subject's new key could not be written to the key store (disk, permissions, its shard
 * directory): the subject's records are refused until a flush writes it (retried by every flush; the
 * key is kept, records were encrypted with it). Only that subject's records: other subjects go on.
 * Retryable: the sender keeps its records.
 */
export class KeyStoreWriteFailedError extends KeyStoreIoError {}

/**
 * The key store was closed (`KeyStore.close()`: its processor shut down) or is closing: it gives out no
 * key, shreds nothing, and once closed flushes nothing. Code `LIFECYCLE` (a component stopped); retryable
 * like a closed WAL: records refused here were not acknowledged, their sender keeps them.
 */
export class KeyStoreClosedError extends OtelAuditError {
  constructor(message: string) {
    super('LIFECYCLE', message, { retryable: true });
  }
}
