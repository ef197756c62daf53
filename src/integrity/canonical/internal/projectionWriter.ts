/**
 * Writes the canonical bytes of the record projection (projection.ts)
 * directly, without building the projection object and sorting its keys:
 * every object of the projection has a fixed set of keys, written here in
 * RFC 8785 order (UTF-16 code unit order of the key names). The result is
 * byte-identical to `canonicalJsonBytes(recordProjection(record))` — a
 * property test holds the two together — and several times faster, which
 * matters because every record is hashed on the write path.
 *
 * The bytes are written as UTF-8 into a reused scratch buffer (hashed where
 * they lie). Strings go through the JCS rules (well-formed check, then
 * `JSON.stringify`, which escapes exactly as RFC 8785 §3.2.2.2 for
 * well-formed strings; a string with nothing to escape and no surrogate is
 * copied as it is); numbers are uint32 / int32 record fields or finite
 * doubles, written by `JSON.stringify` (ES Number::toString) or, for
 * non-negative int32s, digit by digit (the same text).
 */
import { ANY_VALUE_DEPTH_CEILING, type AnyValue, type KeyValue } from '../../../record/AnyValue.ts';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { isIntegrityAttribute } from '../../names.ts';
import { CanonicalEncodingError } from '../CanonicalEncodingError.ts';
import { cachePart, sameAsCached, type CachedPart } from './partCache.ts';
import { Utf8JsonWriter } from './Utf8JsonWriter.ts';

/**
 * The canonical bytes of the record, as a view of a scratch buffer that is
 * reused by the next call: hash or copy it before writing another projection.
 */
export function projectionBytes(record: AuditRecord, version: number): Uint8Array {
  // A getter on the record that wrote a projection itself (no record in this codebase has one) would
  // reuse the scratch mid-write: such a nested call gets a writer of its own.
  const w = shared.busy ? new ProjectionWriter() : shared;
  w.busy = true;
  try {
    w.project(record, version);
    return w.bytes();
  } finally {
    w.busy = false;
  }
}

/** The canonical text of the record (UTF-8 decoding of `projectionBytes`). */
export function writeProjection(record: AuditRecord, version: number): string {
  const bytes = projectionBytes(record, version);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * The projection's fields in JCS order, written as UTF-8 (Utf8JsonWriter.ts,
 * whose string fast path projection.test.ts holds together with jcs.ts over
 * arbitrary Unicode), with the JCS checks and their error paths.
 *
 * Measured (CPU time per record, process.threadCpuUsage, 100,000 bench
 * records of bench/lib/integrityRecords.ts, three interleaved A/B rounds):
 * recordHash 5.6–5.9 µs when the text was built by string concatenation (a
 * rope of ~150 pieces, 2.5 µs) and handed to crypto.hash, which flattens it
 * and converts it to UTF-8 first; 4.6–5.3 µs writing the UTF-8 bytes here
 * (2.7–2.8 µs, with the digit and lazy-path shortcuts below) and hashing
 * them. ChainState.link went from ~9.5–9.8 to ~7.7–8.4 µs.
 */
class ProjectionWriter extends Utf8JsonWriter {
  busy = false;

  constructor() {
    super(INITIAL_BYTES);
  }

  project(record: AuditRecord, version: number): void {
    this.reset(SCRATCH_BYTES_KEPT_MAX);
    this.#depth = 0;
    const { resource, scope } = record;
    this.raw('{"attributes":');
    this.attributes(record.attributes, 'attributes');
    if (record.body !== undefined) {
      this.raw(',"body":');
      this.body(record.body);
    }
    this.raw(',"dropped_attributes_count":').number(
      record.droppedAttributesCount,
      'dropped_attributes_count',
    );
    this.raw(',"event_name":').string(record.eventName, 'event_name');
    this.raw(',"flags":').number(record.flags, 'flags');
    this.raw(',"observed_timestamp":').decimal(record.observedTimeUnixNano, 'observed_timestamp');
    this.raw(',"resource":');
    this.#resource(resource);
    this.raw(',"scope":');
    this.#scope(scope);
    this.raw(',"severity_number":').number(record.severityNumber, 'severity_number');
    this.raw(',"severity_text":').string(record.severityText, 'severity_text');
    this.raw(',"span_id":').string(record.spanId, 'span_id');
    this.raw(',"timestamp":').decimal(record.timeUnixNano, 'timestamp');
    this.raw(',"trace_id":').string(record.traceId, 'trace_id');
    this.raw(',"v":').number(version, 'v');
    this.raw('}');
  }

  /*
   * The last resource and scope written, as bytes (partCache.ts): records of a batch share them, and
   * they are often most of the projection. Measured (CPU time per record, 200,000 bench records, two
   * interleaved A/B runs of 4 rounds, process.threadCpuUsage): projectionBytes 2.7–3.4 → 2.0–2.2 µs
   * with the bench's 2-attribute resource, 3.9–4.3 → 2.1–2.4 µs with a 10-attribute SDK-like one;
   * ChainState.link 7.2–7.5 → 6.2–6.4 and 8.2–8.9 → 6.6–6.9 µs.
   */
  #resourcePart: CachedPart | undefined;
  #scopePart: CachedPart | undefined;

  #resource(resource: AuditRecord['resource']): void {
    const { droppedAttributesCount: dropped, schemaUrl, attributes } = resource;
    if (sameAsCached(this.#resourcePart, dropped, schemaUrl, undefined, undefined, attributes)) {
      this.append(this.#resourcePart.bytes);
      return;
    }
    const start = this.length;
    const written: unknown[] = [];
    this.raw('{"attributes":');
    this.attributes(attributes, 'resource.attributes', written);
    this.raw(',"dropped_attributes_count":').number(dropped, 'resource.dropped_attributes_count');
    this.raw(',"schema_url":').string(schemaUrl, 'resource.schema_url');
    this.raw('}');
    const bytes = (): Uint8Array => this.copyFrom(start);
    this.#resourcePart = cachePart(
      dropped,
      schemaUrl,
      undefined,
      undefined,
      written,
      bytes,
      this.length - start,
    );
  }

  #scope(scope: AuditRecord['scope']): void {
    const { droppedAttributesCount: dropped, name, schemaUrl, version, attributes } = scope;
    if (sameAsCached(this.#scopePart, dropped, name, schemaUrl, version, attributes)) {
      this.append(this.#scopePart.bytes);
      return;
    }
    const start = this.length;
    const written: unknown[] = [];
    this.raw('{"attributes":');
    this.attributes(attributes, 'scope.attributes', written);
    this.raw(',"dropped_attributes_count":').number(dropped, 'scope.dropped_attributes_count');
    this.raw(',"name":').string(name, 'scope.name');
    this.raw(',"schema_url":').string(schemaUrl, 'scope.schema_url');
    this.raw(',"version":').string(version, 'scope.version');
    this.raw('}');
    const bytes = (): Uint8Array => this.copyFrom(start);
    this.#scopePart = cachePart(dropped, name, schemaUrl, version, written, bytes, this.length - start);
  }

  /** `relative`: `path` is the last segment after the current position (a value's string), not a field. */
  string(value: string, path: string, relative = false): this {
    if (typeof value !== 'string') throw unsupported(this.#where(path, relative), 'expected a string');
    if (!this.quoted(value)) {
      throw new CanonicalEncodingError(
        'lone-surrogate',
        this.#where(path, relative),
        'string has a lone surrogate (not valid Unicode)',
      );
    }
    return this;
  }

  #where(path: string, relative: boolean): string {
    return relative ? this.#path(path) : path;
  }

  number(value: number, path: string): this {
    if (typeof value !== 'number') throw unsupported(path, 'expected a number');
    // The record's numeric fields are uint32 / int32; a non-negative int32 is written digit by digit.
    if (value >= 0 && value <= 0x7fffffff && (value | 0) === value) return this.digits(value);
    if (!Number.isFinite(value))
      throw new CanonicalEncodingError('non-finite-number', path, `${value} has no JSON form`);
    return this.raw(JSON.stringify(value));
  }

  decimal(value: bigint, path: string): this {
    if (typeof value !== 'bigint') throw unsupported(path, 'expected a bigint');
    return this.raw('"').raw(value.toString()).raw('"');
  }

  /*
   * Where the writer is, for error messages only: a stack of path segments (a number i is `[i]`, a
   * string is written as it is), turned into text only when an error is thrown. Building each
   * element's path string up front cost ~0.5 µs per bench record (CPU time, interleaved A/B).
   */
  #segments: (string | number)[] = [];
  #depth = 0;

  #enter(segment: string | number): void {
    this.#segments[this.#depth++] = segment;
  }

  #leave(): void {
    this.#depth--;
  }

  /** The path of the current position, then `last`. */
  #path(last = ''): string {
    let path = '';
    for (let i = 0; i < this.#depth; i++) {
      const segment = this.#segments[i] as string | number;
      path += typeof segment === 'number' ? `[${segment}]` : segment;
    }
    return path + last;
  }

  /**
   * A top-level attribute list: `audit.integrity.*` entries are left out. `written`: receives each
   * entry's key and value as read here to write them, each read once (partCache.ts snapshots them).
   */
  attributes(list: readonly KeyValue[], path: string, written?: unknown[]): void {
    if (!Array.isArray(list)) throw unsupported(path, 'expected an array of { key, value }');
    this.#enter(path);
    this.raw('[');
    let first = true;
    for (let i = 0; i < list.length; i++) {
      const kv = list[i] as KeyValue;
      this.#enter(i);
      this.#checkKeyValue(kv);
      const key = kv.key;
      if (typeof key !== 'string') throw unsupported(this.#path(), 'expected { key: string, value }');
      // A left-out entry's value makes no bytes; it is still snapshot (read once), as any other.
      const value = kv.value;
      written?.push(key, value);
      if (!isIntegrityAttribute(key)) {
        if (!first) this.raw(',');
        first = false;
        this.#keyValueOf(key, value, 1);
      }
      this.#leave();
    }
    this.raw(']');
    this.#leave();
  }

  /** The record's body (level 1). */
  body(value: AnyValue): void {
    this.#enter('body');
    this.tagged(value, 1);
    this.#leave();
  }

  /** `level`: 1 for a top-level value, +1 per enclosing array / kvlist. */
  tagged(value: AnyValue, level: number): void {
    if (level > ANY_VALUE_DEPTH_CEILING) {
      throw new CanonicalEncodingError(
        'depth',
        this.#path(),
        `nested deeper than ${ANY_VALUE_DEPTH_CEILING}`,
      );
    }
    switch (typeof value) {
      case 'string':
        this.raw('{"stringValue":').#string(value, '.stringValue').raw('}');
        return;
      case 'boolean':
        this.raw(value ? '{"boolValue":true}' : '{"boolValue":false}');
        return;
      case 'bigint':
        this.raw('{"intValue":"').raw(value.toString()).raw('"}');
        return;
      case 'number':
        this.raw('{"doubleValue":').raw(doubleJson(value)).raw('}');
        return;
      case 'object':
        if (value === null) {
          this.raw('{}');
          return;
        }
        if (value instanceof Uint8Array) {
          const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
          this.raw('{"bytesValue":"').raw(base64).raw('"}');
          return;
        }
        if (Array.isArray(value)) {
          this.raw('{"arrayValue":[');
          for (let i = 0; i < value.length; i++) {
            if (i > 0) this.raw(',');
            this.#enter(i);
            this.tagged(value[i] as AnyValue, level + 1);
            this.#leave();
          }
          this.raw(']}');
          return;
        }
        if (Array.isArray(value.values)) {
          this.raw('{"kvlistValue":[');
          this.#enter('.values');
          for (let i = 0; i < value.values.length; i++) {
            const kv = value.values[i] as KeyValue;
            this.#enter(i);
            this.#checkKeyValue(kv);
            if (i > 0) this.raw(',');
            this.#keyValue(kv, level + 1);
            this.#leave();
          }
          this.#leave();
          this.raw(']}');
          return;
        }
    }
    throw unsupported(this.#path(), `${typeof value} is not an AnyValue`);
  }

  #keyValue(kv: KeyValue, level: number): void {
    this.#keyValueOf(kv.key, kv.value, level);
  }

  #keyValueOf(key: string, value: AnyValue, level: number): void {
    this.raw('{"key":').#string(key, '.key').raw(',"value":');
    this.#enter('.value');
    this.tagged(value, level);
    this.#leave();
    this.raw('}');
  }

  /** `string` inside a value: on error, the path is the current position then `last`. */
  #string(value: string, last: string): this {
    // The path is only needed for an error; a plain string never makes one.
    return this.string(value, last, true);
  }

  #checkKeyValue(kv: KeyValue): void {
    if (typeof kv !== 'object' || kv === null || typeof kv.key !== 'string') {
      throw unsupported(this.#path(), 'expected { key: string, value }');
    }
  }
}

/** Enough for a typical audit record; grown (doubled) for larger ones. */
const INITIAL_BYTES = 4096;
/**
 * A scratch grown past this is dropped at the start of the next record (a fresh `INITIAL_BYTES` one is
 * used): one record of a 100 MiB string would otherwise keep ~300 MiB (3 bytes reserved per UTF-16
 * unit) for the life of the process. Typical records never reach it, so the hot path only compares.
 */
export const SCRATCH_BYTES_KEPT_MAX = 1024 * 1024;
const shared = new ProjectionWriter();

/** The projection's doubleValue text: a JSON number, or "NaN" / "Infinity" / "-Infinity" / "-0" as strings. */
export function doubleJson(value: number): string {
  if (Number.isNaN(value)) return '"NaN"';
  if (value === Infinity) return '"Infinity"';
  if (value === -Infinity) return '"-Infinity"';
  if (Object.is(value, -0)) return '"-0"';
  return JSON.stringify(value);
}

function unsupported(path: string, message: string): CanonicalEncodingError {
  return new CanonicalEncodingError('unsupported-type', path, message);
}
