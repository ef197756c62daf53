/** OTLP/JSON `severityNumber`: an integer (what OTLP emits) or an enum value name (proto3 JSON). */
import { OtlpDecodeError } from '../OtlpDecodeError.ts';
import { describe, readInt32 } from './jsonFields.ts';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const BY_NAME = new Map<string, number>([['SEVERITY_NUMBER_UNSPECIFIED', 0]]);
LEVELS.forEach((level, i) => {
  for (let n = 1; n <= 4; n++) BY_NAME.set(`SEVERITY_NUMBER_${level}${n === 1 ? '' : n}`, i * 4 + n);
});

export function readSeverityNumber(value: unknown, path: string): number {
  if (typeof value === 'string') {
    const byName = BY_NAME.get(value);
    if (byName === undefined) {
      throw new OtlpDecodeError(path, `expected an integer or a SeverityNumber name, got ${describe(value)}`);
    }
    return byName;
  }
  return readInt32(value, path);
}
