/**
 * Typed errors with stable codes. Every error the product raises on purpose is
 * an `OtelAuditError` whose `code` is one of `ErrorCode`; tests assert the
 * code, never the message. `retryable` tells callers (and the receiver's
 * status mapping) whether trying again later can succeed.
 */

export type ErrorCode =
  // WAL
  | 'WAL_LOCKED'
  | 'WAL_CLOSED'
  | 'WAL_PAYLOAD_TOO_LARGE'
  | 'WAL_QUEUE_FULL'
  | 'WAL_DISK_FULL'
  | 'WAL_IO'
  | 'WAL_SYNC_FAILED'
  | 'WAL_CORRUPT'
  | 'WAL_BAD_OPTIONS'
  | 'WAL_CURSOR_CORRUPT'
  | 'WAL_FAILED'
  | 'WAL_UNSUPPORTED_VERSION'
  | 'WAL_BUILD_FAILED'
  // record model and codecs
  | 'RECORD_INVALID'
  | 'RECORD_DECODE'
  | 'OTLP_DECODE'
  | 'DECODE_LIMIT'
  // configuration
  | 'CONFIG_INVALID'
  // pipeline runtime
  | 'PIPELINE_PERMANENT'
  | 'PIPELINE_BUILD'
  | 'LIFECYCLE'
  | 'SHUTDOWN_TIMEOUT'
  | 'AUDIT_WRITE_FAILED'
  // integrity: canonical encoding, signatures, keys
  | 'INTEGRITY_CANONICAL'
  | 'SIGNATURE_INVALID'
  | 'KEY_INVALID'
  // integrity: inclusion / consistency proofs
  | 'PROOF_MALFORMED'
  | 'PROOF_INVALID'
  // privacy: secret keys, the key store, encrypted values and pseudonym tokens
  | 'KEY_NOT_FOUND'
  | 'KEY_STORE_CORRUPT'
  | 'KEY_STORE_IO'
  | 'CIPHERTEXT_MALFORMED'
  | 'DECRYPT_FAILED'
  // generic
  | 'INVALID_ARGUMENT'
  | 'INTERNAL';

export interface OtelAuditErrorOptions {
  readonly cause?: unknown;
  readonly retryable?: boolean;
}

export class OtelAuditError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: OtelAuditErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Another writer holds the WAL directory's lock. */
export class WalLockedError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_LOCKED', message);
  }
}

/** The WAL was closed, or is closing; nothing more is accepted. */
export class WalClosedError extends OtelAuditError {
  constructor(message = 'the WAL is closed') {
    super('WAL_CLOSED', message, { retryable: true });
  }
}

/** A payload over `payloadBytesMax`. Permanent: retrying the same payload cannot succeed. */
export class WalPayloadTooLargeError extends OtelAuditError {
  readonly payloadBytes: number;
  readonly payloadBytesMax: number;

  constructor(payloadBytes: number, payloadBytesMax: number) {
    super(
      'WAL_PAYLOAD_TOO_LARGE',
      `payload of ${payloadBytes} bytes exceeds payloadBytesMax ${payloadBytesMax}`,
    );
    this.payloadBytes = payloadBytes;
    this.payloadBytesMax = payloadBytesMax;
  }
}

/**
 * A deferred record (one built at write time, e.g. a chained record) failed to build, so its whole
 * batch was not written. Retryable: the batch holds other producers' records too.
 */
export class WalBuildFailedError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('WAL_BUILD_FAILED', message, { retryable: true, cause });
  }
}

/** The append queue is at its bound and the policy is `reject`. Retryable. */
export class WalQueueFullError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_QUEUE_FULL', message, { retryable: true });
  }
}

/** ENOSPC: the records were not acknowledged; appending resumes once space is freed. */
export class WalDiskFullError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('WAL_DISK_FULL', message, { retryable: true, cause });
  }
}

/** A write failed for a reason other than a full disk. The records were not acknowledged. */
export class WalIoError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('WAL_IO', message, { retryable: true, cause });
  }
}

/**
 * fsync/fdatasync failed. The batch is NOT acknowledged and the segment is
 * abandoned: a failed sync is never retried as if it had succeeded.
 */
export class WalSyncFailedError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('WAL_SYNC_FAILED', message, { retryable: true, cause });
  }
}

/** Data on disk failed a check (magic, version, CRC, bounds). */
export class WalCorruptError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_CORRUPT', message);
  }
}

export class WalBadOptionsError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_BAD_OPTIONS', message);
  }
}

export class WalCursorCorruptError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_CURSOR_CORRUPT', message);
  }
}

/** A segment was written by a newer format version than this build reads: upgrade, never guess. */
export class WalUnsupportedVersionError extends OtelAuditError {
  constructor(message: string) {
    super('WAL_UNSUPPORTED_VERSION', message);
  }
}

/** The writer hit an unrecoverable state (e.g. it cannot create any segment); it refuses appends. */
export class WalFailedError extends OtelAuditError {
  constructor(message: string, cause?: unknown) {
    super('WAL_FAILED', message, { retryable: true, cause });
  }
}

/** Programmer errors and broken invariants. Never caught to continue. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new OtelAuditError('INTERNAL', `assertion failed: ${message}`);
  }
}
