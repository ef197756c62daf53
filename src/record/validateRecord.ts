/**
 * Checks every invariant of an `AuditRecord` before it is encoded, so that
 * whatever the WAL accepts can be decoded again (and re-encoded to OTLP) —
 * never a payload that the reader would reject. Zero allocation on success;
 * on failure throws `RecordInvalidError` naming the path, e.g.
 * `attributes[2].value.values[0].value: int64 out of range`.
 */
import {
  ANY_VALUE_DEPTH_CEILING,
  INT64_MAX,
  INT64_MIN,
  RECORD_ELEMENTS_CEILING,
  type AnyValue,
  type KeyValue,
} from './AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from './AuditRecord.ts';
import { RecordInvalidError } from './errors.ts';

/** A failure found below the top level; `segments` collects the path innermost-first. */
interface Failure {
  readonly problem: string;
  readonly segments: string[];
}

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * AnyValues and key-values the current validation may still visit (reset by each entry point):
 * bounds the walk over a value that shares its parts (see RECORD_ELEMENTS_CEILING).
 */
let elementsLeft = RECORD_ELEMENTS_CEILING;
const TOO_MANY_ELEMENTS = `more than ${RECORD_ELEMENTS_CEILING} values and key-values in one record (more than any WAL can store; a value that shares its parts many times?)`;
/** ASCII codes of the lowercase hex digits (a table: ~2x faster than /^[0-9a-f]{32}$/.test, measured). */
const IS_HEX_DIGIT = new Uint8Array(0x80);
for (const c of '0123456789abcdef') IS_HEX_DIGIT[c.charCodeAt(0)] = 1;

export function validateRecord(record: AuditRecord): void {
  if (typeof record !== 'object' || record === null)
    throw new RecordInvalidError('', 'expected an AuditRecord object');
  elementsLeft = RECORD_ELEMENTS_CEILING;
  validateResource(record.resource, 'resource');
  validateScope(record.scope, 'scope');
  check(isFixed64(record.timeUnixNano), 'timeUnixNano', 'expected a bigint in [0, 2^64)');
  check(isFixed64(record.observedTimeUnixNano), 'observedTimeUnixNano', 'expected a bigint in [0, 2^64)');
  check(isInt32(record.severityNumber), 'severityNumber', 'expected an int32');
  checkString(record.severityText, 'severityText');
  if (record.body !== undefined) raise('body', anyValueFailure(record.body, 1));
  raise('attributes', attributesFailure(record.attributes));
  check(isUint32(record.droppedAttributesCount), 'droppedAttributesCount', 'expected a uint32');
  check(isUint32(record.flags), 'flags', 'expected a uint32');
  check(isHexId(record.traceId, 32), 'traceId', "expected 32 lowercase hex characters or ''");
  check(isHexId(record.spanId, 16), 'spanId', "expected 16 lowercase hex characters or ''");
  checkString(record.eventName, 'eventName');
}

// Paths are literals (not built per record): validation runs for every record.
function validateResource(resource: AuditResource, path: 'resource'): void {
  check(typeof resource === 'object' && resource !== null, path, 'expected an object');
  raise('resource.attributes', attributesFailure(resource.attributes));
  check(isUint32(resource.droppedAttributesCount), 'resource.droppedAttributesCount', 'expected a uint32');
  checkString(resource.schemaUrl, 'resource.schemaUrl');
}

function validateScope(scope: AuditScope, path: 'scope'): void {
  check(typeof scope === 'object' && scope !== null, path, 'expected an object');
  checkString(scope.name, 'scope.name');
  checkString(scope.version, 'scope.version');
  raise('scope.attributes', attributesFailure(scope.attributes));
  check(isUint32(scope.droppedAttributesCount), 'scope.droppedAttributesCount', 'expected a uint32');
  checkString(scope.schemaUrl, 'scope.schemaUrl');
}

/** Checks one AnyValue (as in an attribute or body) and throws `RecordInvalidError` at `path`. */
export function validateAnyValue(value: AnyValue, path: string): void {
  elementsLeft = RECORD_ELEMENTS_CEILING;
  raise(path, anyValueFailure(value, 1));
}

function attributesFailure(list: readonly KeyValue[]): Failure | undefined {
  if (!Array.isArray(list)) return { problem: 'expected an array of { key, value }', segments: [] };
  return keyValuesFailure(list, 0);
}

function keyValuesFailure(list: readonly KeyValue[], depth: number): Failure | undefined {
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    let failure: Failure | undefined;
    if (typeof kv !== 'object' || kv === null) {
      failure = { problem: 'expected { key, value }', segments: [] };
    } else if (--elementsLeft < 0) {
      failure = { problem: TOO_MANY_ELEMENTS, segments: [] };
    } else if (typeof kv.key !== 'string' || !kv.key.isWellFormed()) {
      failure = { problem: stringProblem(kv.key), segments: ['.key'] };
    } else {
      failure = anyValueFailure(kv.value, depth + 1);
      failure?.segments.push('.value');
    }
    if (failure !== undefined) {
      failure.segments.push(`[${i}]`);
      return failure;
    }
  }
  return undefined;
}

function anyValueFailure(value: AnyValue, depth: number): Failure | undefined {
  if (depth > ANY_VALUE_DEPTH_CEILING) {
    return {
      problem: `AnyValue nested deeper than ${ANY_VALUE_DEPTH_CEILING} levels (or circular)`,
      segments: [],
    };
  }
  if (--elementsLeft < 0) return { problem: TOO_MANY_ELEMENTS, segments: [] };
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? undefined : { problem: stringProblem(value), segments: [] };
    case 'boolean':
    case 'number':
      return undefined;
    case 'bigint':
      return value >= INT64_MIN && value <= INT64_MAX
        ? undefined
        : { problem: 'int64 out of range', segments: [] };
    case 'object': {
      if (value === null || value instanceof Uint8Array) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const failure = anyValueFailure(value[i] as AnyValue, depth + 1);
          if (failure !== undefined) {
            failure.segments.push(`[${i}]`);
            return failure;
          }
        }
        return undefined;
      }
      if (!Array.isArray(value.values)) return { problem: 'expected an AnyValue', segments: [] };
      const failure = keyValuesFailure(value.values, depth);
      failure?.segments.push('.values');
      return failure;
    }
    default:
      return { problem: `expected an AnyValue, got ${typeof value}`, segments: [] };
  }
}

function stringProblem(value: unknown): string {
  return typeof value === 'string'
    ? 'string is not well-formed UTF-16 (lone surrogate)'
    : 'expected a string';
}

function checkString(value: string, path: string): void {
  if (typeof value !== 'string' || !value.isWellFormed())
    throw new RecordInvalidError(path, stringProblem(value));
}

function check(ok: boolean, path: string, problem: string): void {
  if (!ok) throw new RecordInvalidError(path, problem);
}

function raise(path: string, failure: Failure | undefined): void {
  if (failure !== undefined)
    throw new RecordInvalidError(path + failure.segments.reverse().join(''), failure.problem);
}

/** '' or exactly `chars` lowercase hex characters. */
function isHexId(id: unknown, chars: number): boolean {
  if (id === '') return true;
  if (typeof id !== 'string' || id.length !== chars) return false;
  for (let i = 0; i < chars; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80 || IS_HEX_DIGIT[c] === 0) return false;
  }
  return true;
}

export function isFixed64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX;
}

export function isUint32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;
}

export function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -0x8000_0000 && (value as number) <= 0x7fff_ffff;
}
