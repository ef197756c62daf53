/**
 * Typed errors of the record model and its codecs. Each names the place in
 * the record or the input (`path`, e.g. `attributes[2].value`, or
 * `resourceLogs[0].scopeLogs[1].logRecords[3].traceId`) and the problem.
 */
import { OtelAuditError } from '../errors.ts';
import type { DecodeLimitName } from './DecodeLimits.ts';

function located(path: string, problem: string): string {
  return path === '' ? problem : `${path}: ${problem}`;
}

/** A record (or a value put into one) breaks the model's invariants; nothing was encoded. Permanent. */
export class RecordInvalidError extends OtelAuditError {
  readonly path: string;

  constructor(path: string, problem: string) {
    super('RECORD_INVALID', located(path, problem));
    this.path = path;
  }
}

/**
 * A WAL record payload cannot be decoded (unknown version, malformed
 * protobuf, wrong shape). `path` locates the problem inside the payload when
 * known; `cause` is the underlying decode error, if any.
 */
export class RecordDecodeError extends OtelAuditError {
  readonly path: string;

  constructor(message: string, options: { readonly path?: string; readonly cause?: unknown } = {}) {
    super('RECORD_DECODE', message, { cause: options.cause });
    this.path = options.path ?? '';
  }
}

/** Decoding input exceeded one of the caller's `DecodeLimits`; `limit` names which. Permanent. */
export class DecodeLimitError extends OtelAuditError {
  readonly path: string;
  readonly limit: DecodeLimitName;
  readonly limitValue: number;

  constructor(path: string, limit: DecodeLimitName, limitValue: number, problem: string) {
    super('DECODE_LIMIT', located(path, `${problem} (limit ${limit} = ${limitValue})`));
    this.path = path;
    this.limit = limit;
    this.limitValue = limitValue;
  }
}
