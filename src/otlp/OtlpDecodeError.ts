/**
 * Malformed OTLP input (protobuf or JSON). `path` names the place in the
 * request, e.g. `resourceLogs[0].scopeLogs[1].logRecords[3].traceId`, and the
 * message says what was expected. Permanent: the receiver answers 400 /
 * INVALID_ARGUMENT.
 */
import { OtelAuditError } from '../errors.ts';

export class OtlpDecodeError extends OtelAuditError {
  readonly path: string;

  constructor(path: string, problem: string, cause?: unknown) {
    super('OTLP_DECODE', path === '' ? problem : `${path}: ${problem}`, { cause });
    this.path = path;
  }
}
