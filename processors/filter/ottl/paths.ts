/**
 * The paths of the OTTL log context that the subset supports, read through
 * `MutableLogRecordView`. A path yields nil (`null`) for a missing attribute
 * and for an absent or empty body. Log fields may carry the `log.` context
 * prefix (`log.body`); `scope.` is accepted for `instrumentation_scope.`.
 *
 * Keys: `attributes`, `resource.attributes` and `instrumentation_scope.attributes`
 * take a string key first; `body` takes keys when it is a map or a list.
 * Later keys index into the value: a string into a map (a missing key gives
 * nil), an int into a list (out of bounds is a runtime error); indexing any
 * other kind is a runtime error — as in the Collector.
 */
import { isKeyValueList, type AnyValue, type KeyValue } from '../../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../../src/record/MutableLogRecordView.ts';
import type { PathKey, PathNode } from './ast.ts';
import { OttlParseError, OttlRuntimeError } from './errors.ts';

export type Getter = (record: MutableLogRecordView) => AnyValue;

type Indexing = 'map' | 'value' | 'none';

interface PathSpec {
  readonly get: Getter;
  readonly indexing: Indexing;
  /** A log-record field (may be written with the `log.` prefix). */
  readonly log: boolean;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

const map = (list: readonly KeyValue[]): AnyValue => ({ values: [...list] });

const PATHS: ReadonlyMap<string, PathSpec> = new Map<string, PathSpec>([
  ['body', { get: (r) => r.getBody() ?? null, indexing: 'value', log: true }],
  ['attributes', { get: (r) => map(r.attributes()), indexing: 'map', log: true }],
  ['severity_number', { get: (r) => BigInt(r.severityNumber), indexing: 'none', log: true }],
  ['severity_text', { get: (r) => r.severityText, indexing: 'none', log: true }],
  ['event_name', { get: (r) => r.eventName, indexing: 'none', log: true }],
  ['time_unix_nano', { get: (r) => BigInt.asIntN(64, r.timeUnixNano), indexing: 'none', log: true }],
  [
    'observed_time_unix_nano',
    { get: (r) => BigInt.asIntN(64, r.observedTimeUnixNano), indexing: 'none', log: true },
  ],
  ['flags', { get: (r) => BigInt(r.flags), indexing: 'none', log: true }],
  ['dropped_attributes_count', { get: (r) => BigInt(r.droppedAttributesCount), indexing: 'none', log: true }],
  ['trace_id.string', { get: (r) => r.traceId || ZERO_TRACE_ID, indexing: 'none', log: true }],
  ['span_id.string', { get: (r) => r.spanId || ZERO_SPAN_ID, indexing: 'none', log: true }],
  ['resource.attributes', { get: (r) => map(r.resourceAttributes()), indexing: 'map', log: false }],
  ['instrumentation_scope.name', { get: (r) => r.scopeName, indexing: 'none', log: false }],
  ['instrumentation_scope.version', { get: (r) => r.scopeVersion, indexing: 'none', log: false }],
  ['instrumentation_scope.attributes', { get: (r) => map(r.scopeAttributes()), indexing: 'map', log: false }],
]);

/** First-key lookups that avoid copying the whole attribute list. */
const FIRST_KEY: Readonly<
  Record<string, (record: MutableLogRecordView, key: string) => AnyValue | undefined>
> = {
  attributes: (r, key) => r.getAttribute(key),
  'resource.attributes': (r, key) => r.getResourceAttribute(key),
  'instrumentation_scope.attributes': (r, key) => r.getScopeAttribute(key),
};

export const SUPPORTED_PATHS: readonly string[] = [...PATHS].map(([name, spec]) =>
  spec.indexing === 'map' ? `${name}["key"]` : name,
);

export function compilePath(node: PathNode): Getter {
  const name = canonicalName(node.segments);
  const spec = name === undefined ? undefined : PATHS.get(name);
  if (name === undefined || spec === undefined) {
    throw new OttlParseError(
      node.column,
      `unknown path "${node.segments.join('.')}"; supported paths: ${SUPPORTED_PATHS.join(', ')}`,
    );
  }
  const [first, ...rest] = node.keys;
  if (first === undefined) return spec.get;
  if (spec.indexing === 'none') throw new OttlParseError(first.column, `"${name}" cannot be indexed`);
  if (spec.indexing === 'value') return (record) => indexInto(spec.get(record), node.keys);
  if (typeof first.value !== 'string') {
    throw new OttlParseError(first.column, `"${name}" must be indexed by a string key`);
  }
  const key = first.value;
  const lookup = FIRST_KEY[name];
  if (lookup === undefined) throw new OttlParseError(first.column, `"${name}" cannot be indexed`);
  return (record) => {
    const value = lookup(record, key);
    return value === undefined ? null : indexInto(value, rest);
  };
}

function canonicalName(segments: readonly string[]): string | undefined {
  const joined = segments.join('.');
  if (segments[0] === 'log' && segments.length > 1) {
    const inner = segments.slice(1).join('.');
    return PATHS.get(inner)?.log === true ? inner : undefined;
  }
  if (segments[0] === 'scope') return `instrumentation_scope.${segments.slice(1).join('.')}`;
  return joined;
}

function indexInto(start: AnyValue, keys: readonly PathKey[]): AnyValue {
  let value = start;
  for (const { value: key } of keys) {
    if (isKeyValueList(value)) {
      if (typeof key !== 'string') throw new OttlRuntimeError('a map must be indexed by a string key');
      const found = value.values.find((kv) => kv.key === key);
      if (found === undefined) return null;
      value = found.value;
    } else if (Array.isArray(value)) {
      if (typeof key !== 'bigint') throw new OttlRuntimeError('a list must be indexed by an int');
      if (key < 0n || key >= BigInt(value.length)) throw new OttlRuntimeError(`index ${key} out of bounds`);
      value = value[Number(key)] ?? null;
    } else {
      throw new OttlRuntimeError(`a value of type ${typeName(value)} cannot be indexed`);
    }
  }
  return value;
}

/** pdata's names of the value types, for messages. */
export function typeName(value: AnyValue): string {
  if (value === null) return 'Empty';
  switch (typeof value) {
    case 'string':
      return 'Str';
    case 'boolean':
      return 'Bool';
    case 'bigint':
      return 'Int';
    case 'number':
      return 'Double';
  }
  if (value instanceof Uint8Array) return 'Bytes';
  return Array.isArray(value) ? 'Slice' : 'Map';
}
