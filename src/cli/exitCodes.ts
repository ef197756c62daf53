/**
 * The CLI's exit codes — a stable contract for scripts (docs/cli.md) — and
 * how an error maps to one. Every `ErrorCode` is mapped explicitly, so a new
 * code does not compile until someone decides what a script should see.
 */
import type { ErrorCode } from '../errors.ts';

export const EXIT = {
  /** Success. */
  OK: 0,
  /** Invalid input or configuration. */
  INVALID: 1,
  /** Usage error: unknown command or option, missing or malformed option value. */
  USAGE: 2,
  /** Data damage was found (the command still did what it could, e.g. printed every intact record). */
  DAMAGE: 3,
  /** I/O error, WAL locked, or another failure of the environment (also unexpected internal errors). */
  FAILURE: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_BY_ERROR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  WAL_LOCKED: EXIT.FAILURE,
  WAL_CLOSED: EXIT.FAILURE,
  WAL_PAYLOAD_TOO_LARGE: EXIT.INVALID,
  WAL_QUEUE_FULL: EXIT.FAILURE,
  WAL_DISK_FULL: EXIT.FAILURE,
  WAL_IO: EXIT.FAILURE,
  WAL_SYNC_FAILED: EXIT.FAILURE,
  WAL_CORRUPT: EXIT.DAMAGE,
  WAL_BAD_OPTIONS: EXIT.INVALID,
  WAL_CURSOR_CORRUPT: EXIT.DAMAGE,
  WAL_FAILED: EXIT.FAILURE,
  WAL_BUILD_FAILED: EXIT.FAILURE,
  WAL_UNSUPPORTED_VERSION: EXIT.FAILURE,
  RECORD_INVALID: EXIT.INVALID,
  RECORD_DECODE: EXIT.DAMAGE,
  OTLP_DECODE: EXIT.INVALID,
  DECODE_LIMIT: EXIT.INVALID,
  CONFIG_INVALID: EXIT.INVALID,
  PIPELINE_PERMANENT: EXIT.FAILURE,
  PIPELINE_BUILD: EXIT.INVALID,
  LIFECYCLE: EXIT.FAILURE,
  SHUTDOWN_TIMEOUT: EXIT.FAILURE,
  AUDIT_WRITE_FAILED: EXIT.FAILURE,
  INTEGRITY_CANONICAL: EXIT.INVALID,
  SIGNATURE_INVALID: EXIT.DAMAGE,
  KEY_INVALID: EXIT.INVALID,
  PROOF_MALFORMED: EXIT.INVALID,
  PROOF_INVALID: EXIT.DAMAGE,
  KEY_NOT_FOUND: EXIT.INVALID,
  KEY_STORE_CORRUPT: EXIT.DAMAGE,
  KEY_STORE_IO: EXIT.FAILURE,
  CIPHERTEXT_MALFORMED: EXIT.INVALID,
  DECRYPT_FAILED: EXIT.DAMAGE,
  INVALID_ARGUMENT: EXIT.INVALID,
  INTERNAL: EXIT.FAILURE,
};

/** The `--help` epilogue. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  invalid input or configuration
  2  usage error (unknown command or option, bad option value)
  3  data damage found (intact data was still processed)
  4  I/O error, WAL locked, or another failure

Docs: docs/cli.md`;
