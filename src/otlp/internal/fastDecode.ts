/**
 * `decodeFast`: OTLP `ExportLogsServiceRequest` bytes → `AuditRecord[]` in one
 * pass, with no intermediate protobufjs objects. The general decoder
 * (`scanWire`, then protobufjs, then `recordsFromPb`) walks the bytes twice,
 * builds a protobufjs message (and a `Long` per 64-bit field) for every element
 * and a path string for every value. Measured on the receiver benchmark's
 * requests (bench/lib/otlpRequests.ts: 512 records of 7 attributes; CPU µs per
 * record, `process.cpuUsage`, both decoders in one process, interleaved, 6
 * windows of 0.7 s each): general decoder median 3.3–3.6, this one 1.9–2.0,
 * and 1.35–1.45 with its strings made through wireStrings.ts.
 *
 * It takes only what it can decode exactly as the general decoder would, and
 * returns `undefined` for anything else — every error (malformed input, any
 * limit exceeded, invalid UTF-8, ids of the wrong length) and the rare legal
 * encodings it does not handle (a singular message field or a oneof member
 * repeated in one message, which protobuf merges; a varint longer than
 * protobufjs reads) — so that the caller decodes those bytes with the general
 * decoder, which gives the result or the precise error. Same results are
 * property-tested against the general decoder on random and damaged input
 * (fastDecode.test.ts). Recursion is bounded by `anyValueDepthMax` (≤ 32),
 * allocation by `elementCountMax` and the other limits, all checked before
 * the element is built.
 *
 * Two other readers depend on exactly what this one takes and how it counts
 * elements: the WAL payload writer's wire-bytes reuse (src/record/recordWire.ts,
 * the canonicity checks below) and the integrity wire projection
 * (src/integrity/canonical/wireProjection.ts: verify and chain recovery hash
 * stored records from their bytes, assuming `decodeRecord` answers through
 * this decoder). After any change to what it takes (`NOT_TAKEN` rules, UTF-8
 * checks, `element()` counting) run src/otlp/internal/wireReuse*.test.ts and
 * src/integrity/canonical/wireProjection*.test.ts as well.
 */
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { DecodeLimits } from '../../record/DecodeLimits.ts';
import { rememberWire } from '../../record/recordWire.ts';
import { varintBytes } from './encodeBuffer.ts';
import { WireStrings, type SlicingBuffer } from './wireStrings.ts';

/** Thrown inside the decoder for input it leaves to the general decoder; never escapes `decodeFast`. */
class NotTaken {}
const NOT_TAKEN = new NotTaken();

const PENDING_RESOURCE: AuditResource = Object.freeze({
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});
const PENDING_SCOPE: AuditScope = Object.freeze({
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});
const TWO_POW_32 = 4294967296;

/**
 * The records, or `undefined` when the general decoder must decode `bytes` (see above).
 * `keepWire`: remember, for each record whose LogRecord bytes are canonical (see `logRecord`), where
 * they are in `bytes` (src/record/recordWire.ts), so that the WAL payload writer copies them instead of
 * encoding the record again; the records then keep `bytes` alive, and `bytes` must not change.
 */
export function decodeFast(
  bytes: Uint8Array,
  limits: DecodeLimits,
  keepWire = false,
): AuditRecord[] | undefined {
  try {
    return new FastDecoder(bytes, limits, keepWire).request();
  } catch {
    // NOT_TAKEN, or anything unforeseen: the general decoder answers with the result or a typed error
    return undefined;
  }
}

/** A mutable record under construction: the AuditRecord's shape, `resource` and `scope` set when their message ends. */
type RecordDraft = { -readonly [K in keyof AuditRecord]: AuditRecord[K] };

class FastDecoder {
  private readonly buf: SlicingBuffer;
  private readonly strings: WireStrings;
  private readonly view: DataView;
  private readonly limits: DecodeLimits;
  private readonly out: RecordDraft[] = [];
  private pos = 0;
  private elements = 0;
  /** The high 32 bits of the last varint (its low 32 bits are `varint`'s result). */
  private hi = 0;
  private readonly keepWire: boolean;
  /**
   * False once anything read since `logRecord` set it is not exactly what the encoder
   * (encodeLogRecord.ts) writes for the value decoded from it: a multi-byte tag, a non-minimal varint or
   * length, an unknown field, fields out of the encoder's order, a repeated field, an empty key written
   * out, a KeyValue without a value, a non-canonical NaN, a bool not 0 or 1, an int32 / uint32 written
   * with other high bits. (A LogRecord field at its default value is left out instead: `holes`.)
   */
  private canonical = true;

  constructor(bytes: Uint8Array, limits: DecodeLimits, keepWire: boolean) {
    this.buf = (
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    ) as SlicingBuffer;
    this.strings = new WireStrings(this.buf);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.limits = limits;
    this.keepWire = keepWire;
  }

  request(): AuditRecord[] {
    const end = this.buf.length;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag === 0x0a) this.resourceLogs(this.messageEnd(end));
      else this.skipUnknown(tag, end, 2);
    }
    return this.out;
  }

  private resourceLogs(end: number): void {
    this.element();
    const first = this.out.length;
    let attributes: KeyValue[] | undefined;
    let dropped = 0;
    let schemaUrl = '';
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag === 0x0a) {
        // Resource (a repeated occurrence merges: attributes append, the last count wins)
        const resourceEnd = this.messageEnd(end);
        this.element();
        while (this.pos < resourceEnd) {
          const t = this.tag(resourceEnd);
          if (t === 0x0a) attributes = this.attribute(attributes, this.messageEnd(resourceEnd));
          else if (t === 0x10) dropped = this.varint(resourceEnd);
          else this.skipUnknown(t, resourceEnd, 3);
        }
      } else if (tag === 0x12) this.scopeLogs(this.messageEnd(end));
      else if (tag === 0x1a) schemaUrl = this.string(end);
      else this.skipUnknown(tag, end, 4);
    }
    const resource: AuditResource = Object.freeze({
      attributes: Object.freeze(attributes ?? []),
      droppedAttributesCount: dropped,
      schemaUrl,
    });
    for (let i = first; i < this.out.length; i++) (this.out[i] as RecordDraft).resource = resource;
  }

  private scopeLogs(end: number): void {
    this.element();
    const first = this.out.length;
    let name = '';
    let version = '';
    let attributes: KeyValue[] | undefined;
    let dropped = 0;
    let schemaUrl = '';
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag === 0x0a) {
        // InstrumentationScope (a repeated occurrence merges, as for the resource)
        const scopeEnd = this.messageEnd(end);
        this.element();
        while (this.pos < scopeEnd) {
          const t = this.tag(scopeEnd);
          if (t === 0x0a) name = this.string(scopeEnd);
          else if (t === 0x12) version = this.string(scopeEnd);
          else if (t === 0x1a) attributes = this.attribute(attributes, this.messageEnd(scopeEnd));
          else if (t === 0x20) dropped = this.varint(scopeEnd);
          else this.skipUnknown(t, scopeEnd, 5);
        }
      } else if (tag === 0x12) this.logRecord(this.messageEnd(end));
      else if (tag === 0x1a) schemaUrl = this.string(end);
      else this.skipUnknown(tag, end, 4);
    }
    const scope: AuditScope = Object.freeze({
      name,
      version,
      attributes: Object.freeze(attributes ?? []),
      droppedAttributesCount: dropped,
      schemaUrl,
    });
    for (let i = first; i < this.out.length; i++) (this.out[i] as RecordDraft).scope = scope;
  }

  private logRecord(end: number): void {
    this.element();
    if (this.out.length >= this.limits.recordCountMax) throw NOT_TAKEN;
    const start = this.pos;
    this.canonical = true;
    /** The last field number read: the encoder writes fields in ascending order, only attributes repeated. */
    let lastField = 0;
    let attributesEnd = start;
    /** [start, end) pairs of fields at their default value, which the encoder omits: left out when copied. */
    let holes: number[] | undefined;
    let time = 0n;
    let observed = 0n;
    let severityNumber = 0;
    let severityText = '';
    let body: AnyValue | undefined;
    let attributes: KeyValue[] | undefined;
    let dropped = 0;
    let flags = 0;
    let traceStart = 0;
    let traceLength = 0;
    let spanStart = 0;
    let spanLength = 0;
    let eventName = '';
    while (this.pos < end) {
      const fieldStart = this.pos;
      const tag = this.tag(end);
      const field = tag >>> 3;
      if (field < lastField || (field === lastField && field !== 6)) this.canonical = false;
      lastField = field;
      switch (tag) {
        case 0x09:
          time = this.fixed64(end);
          if (time === 0n) (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x10: {
          const at = this.pos;
          severityNumber = this.varint(end) | 0;
          // written as an int32: positive minimal, negative sign-extended to 10 bytes, 0 omitted
          if (severityNumber === 0) (holes ??= []).push(fieldStart, this.pos);
          else if (this.hi !== (severityNumber > 0 ? 0 : 0xffff_ffff) || !this.minimalVarint(at))
            this.canonical = false;
          break;
        }
        case 0x1a:
          severityText = this.string(end);
          if (severityText === '') (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x2a:
          if (body !== undefined) throw NOT_TAKEN; // merged with the earlier body
          body = this.anyValue(this.messageEnd(end), 1);
          break;
        case 0x32:
          attributes = this.attribute(attributes, this.messageEnd(end));
          break;
        case 0x38: {
          const at = this.pos;
          dropped = this.varint(end);
          // the OTel JS exporter writes a count of 0 (`38 00`) on every record
          if (dropped === 0) (holes ??= []).push(fieldStart, this.pos);
          else if (this.hi !== 0 || !this.minimalVarint(at)) this.canonical = false;
          break;
        }
        case 0x45:
          flags = this.fixed32(end);
          if (flags === 0) (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x4a:
          traceLength = this.length(end);
          traceStart = this.pos;
          this.pos += traceLength;
          if (traceLength === 0) (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x52:
          spanLength = this.length(end);
          spanStart = this.pos;
          this.pos += spanLength;
          if (spanLength === 0) (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x59:
          observed = this.fixed64(end);
          if (observed === 0n) (holes ??= []).push(fieldStart, this.pos);
          break;
        case 0x62:
          eventName = this.string(end);
          if (eventName === '') (holes ??= []).push(fieldStart, this.pos);
          break;
        default:
          this.skipUnknown(tag, end, 13);
      }
      if (field <= 6) attributesEnd = this.pos;
    }
    if ((traceLength !== 0 && traceLength !== 16) || (spanLength !== 0 && spanLength !== 8)) throw NOT_TAKEN;
    const record: RecordDraft = {
      resource: PENDING_RESOURCE,
      scope: PENDING_SCOPE,
      timeUnixNano: time,
      observedTimeUnixNano: observed,
      severityNumber,
      severityText,
      body,
      attributes: attributes ?? [],
      droppedAttributesCount: dropped,
      flags,
      traceId: traceLength === 0 ? '' : this.buf.hexSlice(traceStart, traceStart + 16),
      spanId: spanLength === 0 ? '' : this.buf.hexSlice(spanStart, spanStart + 8),
      eventName,
    };
    this.out.push(record);
    if (this.keepWire && this.canonical) {
      const list = record.attributes;
      rememberWire(record, {
        bytes: this.buf,
        start,
        end,
        attributesEnd,
        holes,
        attributes: list,
        attributeCount: list.length,
        lastAttribute: list[list.length - 1],
        timeUnixNano: time,
        observedTimeUnixNano: observed,
        severityNumber,
        severityText,
        body,
        droppedAttributesCount: dropped,
        flags,
        traceId: record.traceId,
        spanId: record.spanId,
        eventName,
      });
    }
  }

  /** Whether the varint that started at `at` and was just read is the shortest encoding of its 64-bit value. */
  private minimalVarint(at: number): boolean {
    const n = this.pos - at;
    const last = this.buf[this.pos - 1] as number;
    // no trailing zero group; a 10th byte carries bit 63 only (more would be dropped by `varint`)
    return n === 1 || (last !== 0 && (n < 10 || last === 1));
  }

  /** One more attribute (a KeyValue message ending at `end`) of a list, within `attributeCountMax`. */
  private attribute(list: KeyValue[] | undefined, end: number): KeyValue[] {
    const out = list ?? [];
    if (out.length >= this.limits.attributeCountMax) throw NOT_TAKEN;
    out.push(this.keyValue(end, 1));
    return out;
  }

  /** A KeyValue whose value has AnyValue depth `depth`. */
  private keyValue(end: number, depth: number): KeyValue {
    this.element();
    let key = '';
    let keyRead = false;
    let value: AnyValue | undefined;
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag === 0x0a) {
        // canonical: one non-empty key, before the value
        if (keyRead || value !== undefined) this.canonical = false;
        keyRead = true;
        key = this.string(end);
        if (key === '') this.canonical = false;
      } else if (tag === 0x12) {
        if (value !== undefined) throw NOT_TAKEN; // merged with the earlier value
        value = this.anyValue(this.messageEnd(end), depth);
      } else this.skipUnknown(tag, end, 3);
    }
    if (value === undefined) {
      this.canonical = false; // the encoder always writes the value (an empty message for null)
      return { key, value: null };
    }
    return { key, value };
  }

  /** An AnyValue message at nesting depth `depth` (a top-level body or attribute value is 1). */
  private anyValue(end: number, depth: number): AnyValue {
    this.element();
    if (depth > this.limits.anyValueDepthMax) throw NOT_TAKEN;
    let value: AnyValue = null;
    let members = 0;
    while (this.pos < end) {
      const tag = this.tag(end);
      if ((tag >>> 3) - 1 < 7 && ++members > 1) throw NOT_TAKEN; // a second oneof member: merge or switch
      switch (tag) {
        case 0x0a:
          value = this.string(end);
          break;
        case 0x10: {
          const at = this.pos;
          value = this.bool(end);
          if (this.pos - at !== 1 || (this.buf[at] as number) > 1) this.canonical = false;
          break;
        }
        case 0x18: {
          const at = this.pos;
          value = this.int64(end);
          if (!this.minimalVarint(at)) this.canonical = false;
          break;
        }
        case 0x21:
          if (end - this.pos < 8) throw NOT_TAKEN;
          value = this.view.getFloat64(this.pos, true);
          // the encoder writes every NaN as 0x7FF8000000000000
          if (
            Number.isNaN(value) &&
            (this.view.getUint32(this.pos, true) !== 0 ||
              this.view.getUint32(this.pos + 4, true) !== 0x7ff8_0000)
          )
            this.canonical = false;
          this.pos += 8;
          break;
        case 0x2a:
          value = this.entries(this.messageEnd(end), depth, this.anyValue);
          break;
        case 0x32:
          value = { values: this.entries(this.messageEnd(end), depth, this.keyValue) };
          break;
        case 0x3a:
          value = this.bytesValue(end);
          break;
        default:
          this.skipUnknown(tag, end, 8);
      }
    }
    return value;
  }

  /**
   * The entries (field 1, within `arrayLengthMax`) of an ArrayValue or a KeyValueList whose values have
   * AnyValue depth `depth + 1`.
   */
  private entries<T>(end: number, depth: number, entry: (end: number, depth: number) => T): T[] {
    this.element();
    const values: T[] = [];
    while (this.pos < end) {
      const tag = this.tag(end);
      if (tag === 0x0a) {
        if (values.length >= this.limits.arrayLengthMax) throw NOT_TAKEN;
        values.push(entry.call(this, this.messageEnd(end), depth + 1));
      } else this.skipUnknown(tag, end, 2);
    }
    return values;
  }

  /** Counts a message about to be built, within `elementCountMax`. */
  private element(): void {
    if (++this.elements > this.limits.elementCountMax) throw NOT_TAKEN;
  }

  /** The end of the length-delimited message starting here. */
  private messageEnd(end: number): number {
    const length = this.length(end);
    return this.pos + length;
  }

  /** A field tag; protobufjs reads at most 5 bytes, and field number 0 is invalid. */
  private tag(end: number): number {
    const b = this.buf[this.pos] as number;
    if (b < 0x80 && this.pos < end) {
      this.pos++;
      if (b < 8) throw NOT_TAKEN;
      return b;
    }
    const start = this.pos;
    const tag = this.varint(end);
    if (this.pos - start > 5 || this.hi !== 0 || tag < 8) throw NOT_TAKEN;
    this.canonical = false; // every tag the encoder writes is one byte
    return tag;
  }

  /** A length prefix (protobufjs reads at most 5 bytes, below 2^31); the bytes must lie within `end`. */
  private length(end: number): number {
    const b = this.buf[this.pos] as number;
    let length: number;
    if (b < 0x80 && this.pos < end) {
      this.pos++;
      length = b;
    } else {
      const start = this.pos;
      length = this.varint(end);
      if (this.pos - start > 5 || this.hi !== 0) throw NOT_TAKEN;
      if (this.pos - start !== varintBytes(length)) this.canonical = false;
    }
    if (length > end - this.pos) throw NOT_TAKEN;
    return length;
  }

  /**
   * A varint of up to 10 bytes within `end`, as protobufjs reads it: its low 32 bits are returned
   * (a uint32; `| 0` for an int32), the next 32 are left in `hi`.
   */
  private varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (pos >= end || i === 10) throw NOT_TAKEN;
      const b = buf[pos++] as number;
      if (i < 4) lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      else if (i === 4) {
        lo = (lo | ((b & 0x7f) << 28)) >>> 0;
        hi = (hi | ((b & 0x7f) >> 4)) >>> 0;
      } else hi = (hi | ((b & 0x7f) << ((i - 5) * 7 + 3))) >>> 0;
      if (b < 0x80) break;
    }
    this.pos = pos;
    this.hi = hi;
    return lo;
  }

  /**
   * A bool varint as protobufjs reads it: true when any payload bit of its (up to 10) bytes is set,
   * including bits past the 64th that `varint` drops (a 10th byte of 0x02 alone is `true`).
   */
  private bool(end: number): boolean {
    const buf = this.buf;
    let bits = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= end || i === 10) throw NOT_TAKEN;
      const b = buf[this.pos++] as number;
      bits |= b & 0x7f;
      if (b < 0x80) return bits !== 0;
    }
  }

  /** An int64 varint as a bigint (two's complement). */
  private int64(end: number): bigint {
    const lo = this.varint(end);
    const hi = this.hi;
    if (hi < 0x200000) return BigInt(hi * TWO_POW_32 + lo); // below 2^53: exact as a number
    if (hi >= 0xffe00000) return BigInt((hi - TWO_POW_32) * TWO_POW_32 + lo); // above -2^53
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  private fixed64(end: number): bigint {
    if (end - this.pos < 8) throw NOT_TAKEN;
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  private fixed32(end: number): number {
    if (end - this.pos < 4) throw NOT_TAKEN;
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** A string field: within `stringBytesMax`, valid UTF-8. */
  private string(end: number): string {
    const length = this.length(end);
    if (length > this.limits.stringBytesMax) throw NOT_TAKEN;
    const start = this.pos;
    this.pos += length;
    const value = this.strings.utf8(start, this.pos);
    if (value === undefined) throw NOT_TAKEN;
    return value;
  }

  private bytesValue(end: number): Uint8Array {
    const length = this.length(end);
    if (length > this.limits.bytesLengthMax) throw NOT_TAKEN;
    const copy = new Uint8Array(length);
    copy.set(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return copy;
  }

  /** Skips a field this message does not know; a known field number (≤ `knownBelow`) with another wire type is not taken. */
  private skipUnknown(tag: number, end: number, knownBelow: number): void {
    if (tag >>> 3 < knownBelow) throw NOT_TAKEN;
    this.canonical = false; // the encoder writes no unknown fields
    switch (tag & 7) {
      case 0:
        this.varint(end);
        return;
      case 1:
        if (end - this.pos < 8) throw NOT_TAKEN;
        this.pos += 8;
        return;
      case 2: {
        const length = this.length(end); // before reading `pos`: `pos += length()` would add to the old value
        this.pos += length;
        return;
      }
      case 5:
        if (end - this.pos < 4) throw NOT_TAKEN;
        this.pos += 4;
        return;
      default:
        throw NOT_TAKEN; // groups and invalid wire types
    }
  }
}
