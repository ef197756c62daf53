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
import { asciiBytes, Utf8JsonWriter } from './Utf8JsonWriter.ts';

/* The projection's ASCII constants, encoded once (`ascii` copies them: cheaper than `raw` over a string). */
const OPEN_ATTRIBUTES = asciiBytes('{"attributes":');
const BODY = asciiBytes(',"body":');
const DROPPED_ATTRIBUTES_COUNT = asciiBytes(',"dropped_attributes_count":');
const EVENT_NAME = asciiBytes(',"event_name":');
const FLAGS = asciiBytes(',"flags":');
const OBSERVED_TIMESTAMP = asciiBytes(',"observed_timestamp":');
const RESOURCE = asciiBytes(',"resource":');
const SCOPE = asciiBytes(',"scope":');
const SEVERITY_NUMBER = asciiBytes(',"severity_number":');
const SEVERITY_TEXT = asciiBytes(',"severity_text":');
const SPAN_ID = asciiBytes(',"span_id":');
const TIMESTAMP = asciiBytes(',"timestamp":');
const TRACE_ID = asciiBytes(',"trace_id":');
const VERSION = asciiBytes(',"v":');
const SCHEMA_URL = asciiBytes(',"schema_url":');
const NAME = asciiBytes(',"name":');
const SCOPE_VERSION = asciiBytes(',"version":');
const OPEN_STRING_VALUE = asciiBytes('{"stringValue":');
const OPEN_INT_VALUE = asciiBytes('{"intValue":"');
const CLOSE_QUOTED_VALUE = asciiBytes('"}');
const OPEN_DOUBLE_VALUE = asciiBytes('{"doubleValue":');
const EMPTY_VALUE = asciiBytes('{}');
const OPEN_BYTES_VALUE = asciiBytes('{"bytesValue":"');
const OPEN_ARRAY_VALUE = asciiBytes('{"arrayValue":[');
const CLOSE_LIST_VALUE = asciiBytes(']}');
const OPEN_KVLIST_VALUE = asciiBytes('{"kvlistValue":[');
const OPEN_KEY = asciiBytes('{"key":');
const VALUE = asciiBytes(',"value":');
const VALUE_OPEN_STRING_VALUE = asciiBytes(',"value":{"stringValue":');
const CLOSE_STRING_ENTRY = asciiBytes('}}');
const VALUE_OPEN_INT_VALUE = asciiBytes(',"value":{"intValue":"');
const CLOSE_QUOTED_ENTRY = asciiBytes('"}}');
const BOOL_TRUE = asciiBytes('{"boolValue":true}');
const BOOL_FALSE = asciiBytes('{"boolValue":false}');

/**
 * The canonical bytes of the record, as a view of a scratch buffer that is
 * reused by the next call: hash or copy it before writing another projection.
 */
export function projectionBytes(record: AuditRecord, version: number, tail?: AttributeTail): Uint8Array {
  // A getter on the record that wrote a projection itself (no record in this codebase has one) would
  // reuse the scratch mid-write: such a nested call gets a writer of its own.
  const w = shared.busy ? new ProjectionWriter() : shared;
  w.busy = true;
  try {
    w.project(record, version, tail);
    return w.bytes();
  } finally {
    w.busy = false;
  }
}

/**
 * Entries at the end of a record's attribute list that their owner writes itself, from bytes it
 * keeps between records (ChainState.link: the chain's own attributes, chain/internal/chainTail.ts).
 * The writer reads `record.attributes` only before `from`; `write` must add exactly the bytes the
 * entries from `from` on would give, separated by commas (no comma before the first). The owner's
 * property test holds the two together.
 */
export interface AttributeTail {
  readonly from: number;
  write(w: Utf8JsonWriter): void;
}

/**
 * The canonical bytes of one top-level attribute entry, `{"key":…,"value":…}` (a copy): what the
 * writer writes for it in a record's attribute list. Throws CanonicalEncodingError as a record
 * holding it would (the path is the entry's own).
 */
export function attributeEntryBytes(key: string, value: AnyValue): Uint8Array {
  const w = new ProjectionWriter();
  w.entry(key, value);
  return w.copyFrom(0);
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

  project(record: AuditRecord, version: number, tail?: AttributeTail): void {
    this.reset(SCRATCH_BYTES_KEPT_MAX);
    this.#depth = 0;
    const { resource, scope } = record;
    this.ascii(OPEN_ATTRIBUTES);
    this.attributes(record.attributes, 'attributes', undefined, tail);
    if (record.body !== undefined) {
      this.ascii(BODY);
      this.body(record.body);
    }
    this.ascii(DROPPED_ATTRIBUTES_COUNT).number(record.droppedAttributesCount, 'dropped_attributes_count');
    this.ascii(EVENT_NAME).string(record.eventName, 'event_name');
    this.ascii(FLAGS).number(record.flags, 'flags');
    this.ascii(OBSERVED_TIMESTAMP).decimal(record.observedTimeUnixNano, 'observed_timestamp');
    this.ascii(RESOURCE);
    this.#resource(resource);
    this.ascii(SCOPE);
    this.#scope(scope);
    this.ascii(SEVERITY_NUMBER).number(record.severityNumber, 'severity_number');
    this.ascii(SEVERITY_TEXT).string(record.severityText, 'severity_text');
    this.ascii(SPAN_ID).string(record.spanId, 'span_id');
    this.ascii(TIMESTAMP).decimal(record.timeUnixNano, 'timestamp');
    this.ascii(TRACE_ID).string(record.traceId, 'trace_id');
    this.ascii(VERSION).number(version, 'v');
    this.byte(0x7d);
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
    this.ascii(OPEN_ATTRIBUTES);
    this.attributes(attributes, 'resource.attributes', written);
    this.ascii(DROPPED_ATTRIBUTES_COUNT).number(dropped, 'resource.dropped_attributes_count');
    this.ascii(SCHEMA_URL).string(schemaUrl, 'resource.schema_url');
    this.byte(0x7d);
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
    this.ascii(OPEN_ATTRIBUTES);
    this.attributes(attributes, 'scope.attributes', written);
    this.ascii(DROPPED_ATTRIBUTES_COUNT).number(dropped, 'scope.dropped_attributes_count');
    this.ascii(NAME).string(name, 'scope.name');
    this.ascii(SCHEMA_URL).string(schemaUrl, 'scope.schema_url');
    this.ascii(SCOPE_VERSION).string(version, 'scope.version');
    this.byte(0x7d);
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
    return this.byte(0x22).raw(value.toString()).byte(0x22);
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
  attributes(list: readonly KeyValue[], path: string, written?: unknown[], tail?: AttributeTail): void {
    if (!Array.isArray(list)) throw unsupported(path, 'expected an array of { key, value }');
    this.#enter(path);
    this.byte(0x5b);
    let first = true;
    const end = tail === undefined ? list.length : tail.from;
    for (let i = 0; i < end; i++) {
      const kv = list[i] as KeyValue;
      this.#enter(i);
      if (typeof kv !== 'object' || kv === null)
        throw unsupported(this.#path(), 'expected { key: string, value }');
      const key = kv.key;
      if (typeof key !== 'string') throw unsupported(this.#path(), 'expected { key: string, value }');
      // A left-out entry's value makes no bytes; it is still snapshot (read once), as any other.
      const value = kv.value;
      written?.push(key, value);
      // Most keys do not start with `a`: one comparison instead of startsWith.
      if (key.charCodeAt(0) !== 0x61 || !isIntegrityAttribute(key)) {
        if (!first) this.byte(0x2c);
        first = false;
        this.#keyValueOf(key, value, 1);
      }
      this.#leave();
    }
    if (tail !== undefined) {
      if (!first) this.byte(0x2c);
      tail.write(this);
    }
    this.byte(0x5d);
    this.#leave();
  }

  /** One top-level attribute entry on its own (`attributeEntryBytes`). */
  entry(key: string, value: AnyValue): void {
    this.reset();
    this.#depth = 0;
    this.#enter('');
    if (typeof key !== 'string') throw unsupported(this.#path(), 'expected { key: string, value }');
    this.#keyValueOf(key, value, 1);
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
        this.ascii(OPEN_STRING_VALUE).#string(value, '.stringValue').byte(0x7d);
        return;
      case 'boolean':
        this.ascii(value ? BOOL_TRUE : BOOL_FALSE);
        return;
      case 'bigint':
        this.ascii(OPEN_INT_VALUE).raw(value.toString()).ascii(CLOSE_QUOTED_VALUE);
        return;
      case 'number':
        this.ascii(OPEN_DOUBLE_VALUE).raw(doubleJson(value)).byte(0x7d);
        return;
      case 'object':
        if (value === null) {
          this.ascii(EMPTY_VALUE);
          return;
        }
        if (value instanceof Uint8Array) {
          const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
          this.ascii(OPEN_BYTES_VALUE).raw(base64).ascii(CLOSE_QUOTED_VALUE);
          return;
        }
        if (Array.isArray(value)) {
          this.ascii(OPEN_ARRAY_VALUE);
          for (let i = 0; i < value.length; i++) {
            if (i > 0) this.byte(0x2c);
            this.#enter(i);
            this.tagged(value[i] as AnyValue, level + 1);
            this.#leave();
          }
          this.ascii(CLOSE_LIST_VALUE);
          return;
        }
        if (Array.isArray(value.values)) {
          this.ascii(OPEN_KVLIST_VALUE);
          this.#enter('.values');
          for (let i = 0; i < value.values.length; i++) {
            const kv = value.values[i] as KeyValue;
            this.#enter(i);
            this.#checkKeyValue(kv);
            if (i > 0) this.byte(0x2c);
            this.#keyValue(kv, level + 1);
            this.#leave();
          }
          this.#leave();
          this.ascii(CLOSE_LIST_VALUE);
          return;
        }
    }
    throw unsupported(this.#path(), `${typeof value} is not an AnyValue`);
  }

  #keyValue(kv: KeyValue, level: number): void {
    this.#keyValueOf(kv.key, kv.value, level);
  }

  #keyValueOf(key: string, value: AnyValue, level: number): void {
    // The common entry, a string value, with its constant parts merged and no path kept (tagged's
    // checks, done here); a string it cannot write falls through to the general path, which writes
    // it again and throws the error with its path.
    if (typeof value === 'string' && level <= ANY_VALUE_DEPTH_CEILING) {
      if (this.#entryOpen(key, this.#stringEntryOpens, VALUE_OPEN_STRING_VALUE) && this.quoted(value)) {
        this.ascii(CLOSE_STRING_ENTRY);
        return;
      }
    } else if (typeof value === 'bigint' && level <= ANY_VALUE_DEPTH_CEILING) {
      // The other common entry, an int value (ids, counts, codes), the same way.
      if (this.#entryOpen(key, this.#intEntryOpens, VALUE_OPEN_INT_VALUE)) {
        // A small non-negative one digit by digit: the same text as toString, no string made.
        if (value >= 0n && value <= INT32_MAX) this.digits(Number(value));
        else this.raw(value.toString());
        this.ascii(CLOSE_QUOTED_ENTRY);
        return;
      }
    }
    this.ascii(OPEN_KEY).#string(key, '.key').ascii(VALUE);
    this.#enter('.value');
    this.tagged(value, level);
    this.#leave();
    this.byte(0x7d);
  }

  /*
   * `{"key":K,"value":{"stringValue":` of the keys written before, by key (equal text, equal bytes):
   * the same keys come back in every record, and a Map lookup plus one copy costs less than checking
   * and copying the key unit by unit. Bounded: keys up to KEY_UNITS_CACHED_MAX units, at most
   * KEYS_CACHED_MAX of them (the map is emptied when full, so a stream of ever-new keys costs a
   * lookup and a copy per entry, no memory). Measured (CPU time, threadCpuUsage, interleaved A/B,
   * machine under load 3-5): projectionBytes over 50k chained bench records 0.79-0.91 of before
   * (medians of 12 rounds, 4 runs; 0.89 with keys as fresh strings, as a decoder makes them),
   * ChainState.link 0.946 (median of 40 rounds). Int entries the same way (with a small value's
   * digits written without a string): projectionBytes 0.90-0.92, link 0.946 (one int per bench
   * record; an A/A run of the same harness gave 1.001 and 1.003).
   */
  #stringEntryOpens = new Map<string, Uint8Array>();
  /** The same for int values: `{"key":K,"value":{"intValue":"`. */
  #intEntryOpens = new Map<string, Uint8Array>();

  /**
   * Writes `{"key":K,"value":` then `valueOpen`, from `opens` when K was written before; false (and
   * nothing meaningful written) when K cannot be written.
   */
  #entryOpen(key: string, opens: Map<string, Uint8Array>, valueOpen: Uint8Array): boolean {
    const cached = opens.get(key);
    if (cached !== undefined) {
      this.ascii(cached);
      return true;
    }
    const start = this.length;
    if (!this.ascii(OPEN_KEY).quoted(key)) return false;
    this.ascii(valueOpen);
    if (key.length <= KEY_UNITS_CACHED_MAX) {
      if (opens.size >= KEYS_CACHED_MAX) opens.clear();
      opens.set(key, this.copyFrom(start));
    }
    return true;
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

const INT32_MAX = 0x7fffffffn;
const KEY_UNITS_CACHED_MAX = 64;
const KEYS_CACHED_MAX = 1024;

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
