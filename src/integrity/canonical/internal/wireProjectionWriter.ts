/**
 * The canonical projection of a stored record (version-1 WAL payload,
 * docs/record-encoding.md §2) written straight from its protobuf bytes:
 * exactly the bytes of `projectionBytes(decodeRecord(payload))`
 * (projectionWriter.ts, docs/integrity.md §2.2), without building the record.
 * Decoding a record into objects was ~29% of verify's time and most of its
 * garbage (docs/benchmarks.md, "Integrity benchmark").
 *
 * It DECLINES (returns false) whatever it does not handle, so that the caller
 * decodes the payload the usual way, which gives the result or the precise
 * error: it takes only payloads the one-pass decoder
 * (src/otlp/internal/fastDecode.ts) takes, and among those only the plain
 * ones the WAL writer produces — exactly one ResourceLogs, ScopeLogs and
 * LogRecord; each singular field at most once; no unknown field, no field
 * with another wire type, no oneof member repeated or switched; ids of 0, 16
 * or 8 bytes; valid UTF-8; AnyValue depth at most 32 — within `elementsMax`
 * protobuf elements, counted as the decoders count them. It reads every value
 * as fastDecode does (WireCursor.ts), so the projection is the same.
 * wireProjection.test.ts holds the two together on random records, chained
 * records, the test vectors, and damaged payloads.
 *
 * In the same pass it reads the chain attributes of the record (the first
 * top-level attribute with each key, as `attr` of recordFacts.ts /
 * chainFacts.ts): a string, an int as a bigint, or `WIRE_OTHER_VALUE`.
 *
 * Memory is bounded: the bytes go to a `HashingSink` (a 64 KiB scratch handed
 * on to an incremental SHA-256 when full), long strings and bytes in pieces.
 * Recursion is bounded by the AnyValue depth (32).
 */
import { isUtf8 } from 'node:buffer';
import { ANY_VALUE_DEPTH_CEILING } from '../../../record/AnyValue.ts';
import { RECORD_ENCODING_VERSION } from '../../../record/walCodec.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
  INTEGRITY_ATTRIBUTE_PREFIX,
} from '../../names.ts';
import type { HashingSink } from './HashingSink.ts';
import { doubleJson } from './projectionWriter.ts';
import { DECLINED, int64Text, uint64Text, WireCursor } from './WireCursor.ts';
import { WirePartCache } from './WirePartCache.ts';

/** A chain attribute whose value is neither a string nor an int (or that has no value). */
export const WIRE_OTHER_VALUE: unique symbol = Symbol('neither a string nor an int');
export type WireValue = string | bigint | typeof WIRE_OTHER_VALUE | undefined;

/** Indexes into `WireProjectionWriter.chain`, in the order of CHAIN_KEYS. */
export const CHAIN_STREAM_ID = 0;
export const CHAIN_NUMBER = 1;
export const CHAIN_PREVIOUS_HASH = 2;
export const CHAIN_INTEGRITY_HASH = 3;
export const CHAIN_INTEGRITY_VALUE = 4;
const CHAIN_KEYS = [
  ATTR_SEQUENCE_STREAM_ID,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_VALUE,
].map((k) => Buffer.from(k, 'latin1'));
const PREFIX = Buffer.from(INTEGRITY_ATTRIBUTE_PREFIX, 'latin1');
/** Every chain key and the prefix start with "audit." (ASCII, so bytes and UTF-16 units agree). */
const AUDIT_DOT = Buffer.from('audit.', 'latin1');
const CHAIN_KEY_BYTES_MAX = Math.max(...CHAIN_KEYS.map((k) => k.length));

/** The largest payload the WAL writer stores (WAL_RECORD_PAYLOAD_BYTES_MAX of decodeForVerify.ts). */
const PAYLOAD_BYTES_MAX = 128 * 1024 * 1024;

export class WireProjectionWriter extends WireCursor {
  /** The chain attributes of the last projection written (CHAIN_* indexes). */
  readonly chain: WireValue[] = [undefined, undefined, undefined, undefined, undefined];
  /** Protobuf elements of the last payload, counted as the decoders count them. */
  elements = 0;

  readonly #sink: HashingSink;
  #elementsMax = 0;
  /** Field spans of the message being read (`WireCursor.fields`). */
  readonly #spans = new Int32Array(6);
  /** Spans of the resource, its schema_url, the scope and its schema_url. */
  readonly #parts = new Int32Array(8);
  readonly #resourcePart = new WirePartCache();
  readonly #scopePart = new WirePartCache();

  constructor(sink: HashingSink) {
    super();
    this.#sink = sink;
  }

  /** Writes the projection of `payload` to the sink (begun by the caller); false when declined. */
  project(payload: Uint8Array, elementsMax: number): boolean {
    if (payload.length < 1 || payload.length > PAYLOAD_BYTES_MAX) return false;
    if (payload[0] !== RECORD_ENCODING_VERSION) return false;
    this.open(payload);
    this.#elementsMax = elementsMax;
    this.elements = 0;
    this.chain.fill(undefined);
    try {
      this.#logsData(1, payload.length);
      return true;
    } catch {
      // DECLINED, or anything unforeseen: the decoder answers (with the result or a typed error).
      return false;
    } finally {
      this.close();
    }
  }

  // ---- structure: LogsData → ResourceLogs → ScopeLogs → LogRecord, one each ----

  #logsData(start: number, end: number): void {
    if (this.p[start] !== 0x0a || this.lengthAt(start + 1, end) !== end) throw DECLINED; // one ResourceLogs
    this.#element();
    const spans = this.#spans;
    const parts = this.#parts;
    this.fields(this.at, end, 3, spans); // resource, scope_logs, schema_url
    parts[0] = spans[0] as number;
    parts[1] = spans[1] as number;
    parts[2] = spans[4] as number;
    parts[3] = spans[5] as number;
    const scopeLogs = spans[2] as number;
    if (scopeLogs < 0) throw DECLINED;
    if ((parts[0] as number) >= 0) this.#element();
    this.#element();
    this.fields(scopeLogs, spans[3] as number, 3, spans); // scope, log_records, schema_url
    parts[4] = spans[0] as number;
    parts[5] = spans[1] as number;
    parts[6] = spans[4] as number;
    parts[7] = spans[5] as number;
    const record = spans[2] as number;
    if (record < 0) throw DECLINED;
    if ((parts[4] as number) >= 0) this.#element();
    this.#logRecord(record, spans[3] as number, parts);
  }

  /** `parts`: spans of the resource, its schema_url, the scope and its schema_url (written in between). */
  #logRecord(start: number, end: number, parts: Int32Array): void {
    this.#element();
    const p = this.p;
    // Start of each singular field's data (-1: absent) and, for the length-delimited ones, its end.
    let time = -1;
    let severity = -1;
    let severityText = -1;
    let severityTextEnd = -1;
    let body = -1;
    let bodyEnd = -1;
    let dropped = -1;
    let flags = -1;
    let trace = -1;
    let traceEnd = -1;
    let span = -1;
    let spanEnd = -1;
    let observed = -1;
    let eventName = -1;
    let eventNameEnd = -1;
    let attributes = -1;
    let pos = start;
    while (pos < end) {
      const tag = p[pos++] as number;
      if (tag === 0x32) {
        if (attributes < 0) attributes = pos - 1;
        pos = this.lengthAt(pos, end);
        continue;
      }
      switch (tag) {
        case 0x09:
          if (time >= 0 || end - pos < 8) throw DECLINED;
          time = pos;
          pos += 8;
          break;
        case 0x59:
          if (observed >= 0 || end - pos < 8) throw DECLINED;
          observed = pos;
          pos += 8;
          break;
        case 0x45:
          if (flags >= 0 || end - pos < 4) throw DECLINED;
          flags = pos;
          pos += 4;
          break;
        case 0x10:
          if (severity >= 0) throw DECLINED;
          severity = pos;
          pos = this.skipVarint(pos, end);
          break;
        case 0x38:
          if (dropped >= 0) throw DECLINED;
          dropped = pos;
          pos = this.skipVarint(pos, end);
          break;
        default: {
          const fieldEnd = this.lengthAt(pos, end);
          if (tag === 0x1a && severityText < 0) [severityText, severityTextEnd] = [this.at, fieldEnd];
          else if (tag === 0x2a && body < 0) [body, bodyEnd] = [this.at, fieldEnd];
          else if (tag === 0x4a && trace < 0) [trace, traceEnd] = [this.at, fieldEnd];
          else if (tag === 0x52 && span < 0) [span, spanEnd] = [this.at, fieldEnd];
          else if (tag === 0x62 && eventName < 0) [eventName, eventNameEnd] = [this.at, fieldEnd];
          else throw DECLINED; // repeated, unknown, or another wire type
          pos = fieldEnd;
        }
      }
    }
    const traceBytes = trace < 0 ? 0 : traceEnd - trace;
    const spanBytes = span < 0 ? 0 : spanEnd - span;
    if ((traceBytes !== 0 && traceBytes !== 16) || (spanBytes !== 0 && spanBytes !== 8)) throw DECLINED;

    const s = this.#sink;
    s.raw('{"attributes":[');
    if (attributes >= 0) this.#attributeList(attributes, end, 0x32, true);
    if (body >= 0) {
      s.raw('],"body":');
      this.#anyValue(body, bodyEnd, 1);
      s.raw(',"dropped_attributes_count":');
    } else s.raw('],"dropped_attributes_count":');
    s.raw(dropped < 0 ? '0' : String(this.varintAt(dropped, end)));
    s.raw(',"event_name":');
    this.#string(eventName, eventNameEnd);
    s.raw(',"flags":');
    s.raw(flags < 0 ? '0' : String(this.p.readUInt32LE(flags)));
    s.raw(',"observed_timestamp":');
    this.#fixed64(observed);
    s.raw(',"resource":');
    this.#part(false, parts[0] as number, parts[1] as number, parts[2] as number, parts[3] as number);
    s.raw(',"scope":');
    this.#part(true, parts[4] as number, parts[5] as number, parts[6] as number, parts[7] as number);
    s.raw(',"severity_number":');
    s.raw(severity < 0 ? '0' : String(this.varintAt(severity, end) | 0));
    s.raw(',"severity_text":');
    this.#string(severityText, severityTextEnd);
    s.raw(',"span_id":');
    s.hex(p, span, spanBytes);
    s.raw(',"timestamp":');
    this.#fixed64(time);
    s.raw(',"trace_id":');
    s.hex(p, trace, traceBytes);
    s.raw(',"v":1}');
  }

  /**
   * The resource (`scope` false: the Resource message in [start, end), -1 when absent, and the
   * ResourceLogs schema_url) or the scope (the InstrumentationScope and the ScopeLogs schema_url): the
   * bytes kept for the same wire bytes (WirePartCache.ts), else written and kept.
   */
  #part(scope: boolean, start: number, end: number, schema: number, schemaEnd: number): void {
    const s = this.#sink;
    const cache = scope ? this.#scopePart : this.#resourcePart;
    const kept = cache.lookup(this.p, start, end, schema, schemaEnd);
    if (kept !== undefined) {
      s.append(kept);
      this.elements += cache.elements;
      if (this.elements > this.#elementsMax) throw DECLINED;
      return;
    }
    const at = s.pos;
    const epoch = s.epoch;
    const elements = this.elements;
    if (scope) this.#scope(start, end, schema, schemaEnd);
    else this.#resource(start, end, schema, schemaEnd);
    // Kept only when written in one piece (not handed on meanwhile: a part larger than the scratch).
    if (s.epoch === epoch) {
      const bytes = Uint8Array.from(s.buf.subarray(at, s.pos));
      cache.keep(this.p, start, end, schema, schemaEnd, bytes, this.elements - elements);
    }
  }

  #resource(start: number, end: number, schema: number, schemaEnd: number): void {
    const s = this.#sink;
    let dropped = -1;
    let attributes = -1;
    for (let pos = start; pos < end;) {
      const tag = this.p[pos++] as number;
      if (tag === 0x0a) {
        if (attributes < 0) attributes = pos - 1;
        pos = this.lengthAt(pos, end);
      } else if (tag === 0x10 && dropped < 0) {
        dropped = pos;
        pos = this.skipVarint(pos, end);
      } else throw DECLINED;
    }
    s.raw('{"attributes":[');
    if (attributes >= 0) this.#attributeList(attributes, end, 0x0a, false);
    s.raw('],"dropped_attributes_count":');
    s.raw(dropped < 0 ? '0' : String(this.varintAt(dropped, end)));
    s.raw(',"schema_url":');
    this.#string(schema, schemaEnd);
    s.raw('}');
  }

  #scope(start: number, end: number, schema: number, schemaEnd: number): void {
    const s = this.#sink;
    let name = -1;
    let nameEnd = -1;
    let version = -1;
    let versionEnd = -1;
    let dropped = -1;
    let attributes = -1;
    for (let pos = start; pos < end;) {
      const tag = this.p[pos++] as number;
      if (tag === 0x20) {
        if (dropped >= 0) throw DECLINED;
        dropped = pos;
        pos = this.skipVarint(pos, end);
        continue;
      }
      const fieldEnd = this.lengthAt(pos, end);
      if (tag === 0x1a) {
        if (attributes < 0) attributes = pos - 1;
      } else if (tag === 0x0a && name < 0) [name, nameEnd] = [this.at, fieldEnd];
      else if (tag === 0x12 && version < 0) [version, versionEnd] = [this.at, fieldEnd];
      else throw DECLINED;
      pos = fieldEnd;
    }
    s.raw('{"attributes":[');
    if (attributes >= 0) this.#attributeList(attributes, end, 0x1a, false);
    s.raw('],"dropped_attributes_count":');
    s.raw(dropped < 0 ? '0' : String(this.varintAt(dropped, end)));
    s.raw(',"name":');
    this.#string(name, nameEnd);
    s.raw(',"schema_url":');
    this.#string(schema, schemaEnd);
    s.raw(',"version":');
    this.#string(version, versionEnd);
    s.raw('}');
  }

  // ---- attribute lists and values ----

  /**
   * The attributes (fields with `tag`) of a message whose structure is already checked, from the first
   * of them at `from` to `end`, written without the brackets; `audit.integrity.*` entries are checked but
   * not written; with `chain`, the chain attributes are read.
   */
  #attributeList(from: number, end: number, tag: number, chain: boolean): void {
    const p = this.p;
    let first = true;
    for (let pos = from; pos < end;) {
      const t = p[pos++] as number;
      if ((t & 7) === 2) {
        const fieldEnd = this.lengthAt(pos, end);
        if (t === tag) first = this.#keyValue(this.at, fieldEnd, first, chain);
        pos = fieldEnd;
      } else if ((t & 7) === 0) pos = this.skipVarint(pos, end);
      else pos += (t & 7) === 1 ? 8 : 4; // fixed64 / fixed32, checked already
    }
  }

  /** A top-level attribute; returns whether the list still has no entry written. */
  #keyValue(start: number, end: number, first: boolean, chain: boolean): boolean {
    this.#element();
    const spans = this.#spans;
    this.keyValueFields(start, end, spans);
    const key = spans[0] as number;
    const keyEnd = spans[1] as number;
    const value = spans[2] as number;
    const valueEnd = spans[3] as number;
    const keyBytes = keyEnd - key;
    let excluded = false;
    if (keyBytes >= PREFIX.length && this.#startsWith(key, AUDIT_DOT)) {
      excluded = this.#startsWith(key, PREFIX);
      if (chain && keyBytes <= CHAIN_KEY_BYTES_MAX) this.#readChain(key, keyEnd, value, valueEnd);
    }
    const s = this.#sink;
    if (excluded) s.mute();
    else if (!first) s.raw(',');
    this.#keyValueBody(key, keyEnd, value, valueEnd, 1);
    if (!excluded) return false;
    s.unmute();
    return first;
  }

  /** `{"key":…,"value":…}` of a KeyValue whose key and value (an AnyValue at `depth`) are at those spans. */
  #keyValueBody(key: number, keyEnd: number, value: number, valueEnd: number, depth: number): void {
    const s = this.#sink;
    s.raw('{"key":');
    this.#string(key, keyEnd);
    if (value >= 0) {
      s.raw(',"value":');
      this.#anyValue(value, valueEnd, depth);
      s.raw('}');
    } else s.raw(',"value":{}}');
  }

  /** An AnyValue message in [start, end) at nesting `depth` (1: a body or an attribute's value). */
  #anyValue(start: number, end: number, depth: number): void {
    this.#element();
    if (depth > ANY_VALUE_DEPTH_CEILING) throw DECLINED;
    const s = this.#sink;
    if (start === end) {
      s.raw('{}');
      return;
    }
    const p = this.p;
    const tag = p[start] as number;
    let pos = start + 1;
    if (tag === 0x10) {
      // bool: true when any payload bit of its (up to 10) bytes is set, as protobufjs reads it
      const e = this.skipVarint(pos, end);
      let bits = 0;
      for (let i = pos; i < e; i++) bits |= (p[i] as number) & 0x7f;
      s.raw(bits !== 0 ? '{"boolValue":true}' : '{"boolValue":false}');
      pos = e;
    } else if (tag === 0x18) {
      const lo = this.varintAt(pos, end);
      pos = this.at;
      s.raw('{"intValue":"');
      s.raw(int64Text(lo, this.hi));
      s.raw('"}');
    } else if (tag === 0x21) {
      if (end - pos < 8) throw DECLINED;
      s.raw('{"doubleValue":');
      s.raw(doubleJson(this.p.readDoubleLE(pos)));
      s.raw('}');
      pos += 8;
    } else {
      pos = this.lengthAt(pos, end);
      const from = this.at;
      if (tag === 0x0a) {
        s.raw('{"stringValue":');
        this.#string(from, pos);
        s.raw('}');
      } else if (tag === 0x2a) {
        s.raw('{"arrayValue":[');
        this.#entries(from, pos, depth, false);
        s.raw(']}');
      } else if (tag === 0x32) {
        s.raw('{"kvlistValue":[');
        this.#entries(from, pos, depth, true);
        s.raw(']}');
      } else if (tag === 0x3a) {
        s.raw('{"bytesValue":"');
        s.base64(p, from, pos);
        s.raw('"}');
      } else throw DECLINED;
    }
    if (pos !== end) throw DECLINED; // a second member (a merge or a switch), or an unknown field
  }

  /** The entries (field 1) of an ArrayValue or a KeyValueList in [start, end), of depth `depth + 1`. */
  #entries(start: number, end: number, depth: number, keyValues: boolean): void {
    this.#element();
    const p = this.p;
    const spans = this.#spans;
    for (let pos = start; pos < end;) {
      if (p[pos] !== 0x0a) throw DECLINED;
      const e = this.lengthAt(pos + 1, end);
      if (pos !== start) this.#sink.raw(',');
      if (keyValues) {
        this.#element();
        this.keyValueFields(this.at, e, spans);
        const key = spans[0] as number;
        const keyEnd = spans[1] as number;
        const value = spans[2] as number;
        this.#keyValueBody(key, keyEnd, value, spans[3] as number, depth + 1);
      } else this.#anyValue(this.at, e, depth + 1);
      pos = e;
    }
  }

  /** Reads the value of a chain attribute (the first of its key) into `chain`. */
  #readChain(key: number, keyEnd: number, value: number, valueEnd: number): void {
    const n = keyEnd - key;
    for (let k = 0; k < CHAIN_KEYS.length; k++) {
      const name = CHAIN_KEYS[k] as Buffer;
      if (name.length !== n || this.chain[k] !== undefined || !this.#startsWith(key, name)) continue;
      this.chain[k] = this.#chainValue(value, valueEnd);
      return;
    }
  }

  /** A string, an int as a bigint, or WIRE_OTHER_VALUE (the value is checked when it is written). */
  #chainValue(start: number, end: number): WireValue {
    if (start < 0 || start === end) return WIRE_OTHER_VALUE;
    const tag = this.p[start] as number;
    if (tag === 0x0a) {
      const e = this.lengthAt(start + 1, end);
      if (e !== end || !isUtf8(this.p.subarray(this.at, e))) throw DECLINED;
      return this.p.toString('utf8', this.at, e);
    }
    if (tag === 0x18) {
      const lo = this.varintAt(start + 1, end);
      return BigInt(int64Text(lo, this.hi));
    }
    return WIRE_OTHER_VALUE;
  }

  // ---- scalars ----

  /** Whether the payload at `at` starts with `bytes` (the caller checked it has that many). */
  #startsWith(at: number, bytes: Buffer): boolean {
    const p = this.p;
    for (let i = 0; i < bytes.length; i++) if (p[at + i] !== bytes[i]) return false;
    return true;
  }

  /** A string field in [start, end) (-1: absent, ''), as JSON. */
  #string(start: number, end: number): void {
    if (start < 0 || start === end) this.#sink.raw('""');
    else if (!this.#sink.jsonString(this.p, start, end)) throw DECLINED; // not UTF-8
  }

  /** A fixed64 at `at` (-1: absent, 0) as a quoted decimal. */
  #fixed64(at: number): void {
    const s = this.#sink;
    const text = at < 0 ? '0' : uint64Text(this.p.readUInt32LE(at), this.p.readUInt32LE(at + 4));
    s.raw('"');
    s.raw(text);
    s.raw('"');
  }

  /** Counts one protobuf element, within `elementsMax`. */
  #element(): void {
    if (++this.elements > this.#elementsMax) throw DECLINED;
  }
}
