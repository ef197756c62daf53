/**
 * The wire bytes a record was decoded from, when re-encoding it would give
 * them back exactly (docs/record-encoding.md, "Reusing the wire bytes"): the
 * one-pass OTLP decoder (src/otlp/internal/fastDecode.ts) records, for a
 * LogRecord whose bytes are in the encoder's canonical form, where they are
 * in the request; the WAL payload writer then copies them instead of
 * encoding the record again (src/otlp/internal/singleRecordEncoder.ts).
 *
 * Kept in a private field added to the record (`WireStamp`), not a field of
 * the model: a copy (`structuredClone`, a spread, `Object.assign`) has none
 * and is simply encoded, and `toEqual`, JSON and the clone do not see it.
 * (A WeakMap was measured first: its ephemeron entries took ~40% of the
 * decoding CPU in garbage collection and insertion; cpu-prof of the receiver
 * benchmark's requests, decode + stamp + WAL payload, 6 s: GC 30.3% and
 * `WeakMap.set` 9.0% of the samples.) The entry is only a hint, checked at every
 * use (`validWireOf`): the attribute list must still be the decoded array
 * with the decoded entries in front (attributes appended after them — the
 * receiver's client stamp — are encoded and spliced in), and every other
 * field must still hold its decoded value. Changes deeper inside a value
 * (an attribute entry's object, a body's array) are not seen by that check:
 * whatever may change a record's content must call `forgetWire` first —
 * `processRecords` does for every processor that does not declare
 * `preservesContent`. That includes changes made through a shallow copy
 * (`{ ...record }` shares the attribute list and the body): the copy has no
 * wire bytes, but the original keeps its own, so forget the original's before
 * a copy of it is changed (a fan-out copy is a `structuredClone`: nothing
 * shared). Records get wire bytes only from `decodeOtlpLogsProtobuf(bytes,
 * { keepWireBytes: true })` (the OTLP receivers); its input must not change
 * while they live, and one detached or shrunk since is declined.
 *
 * An entry keeps its request buffer alive as long as the record lives.
 */
import type { AnyValue, KeyValue } from './AnyValue.ts';
import type { AuditRecord } from './AuditRecord.ts';

export interface RecordWire {
  /** The request bytes (never written to while the record lives; declined if detached or shrunk since). */
  readonly bytes: Buffer;
  /** The LogRecord message's content: [start, end) of `bytes`, without its tag and length. */
  readonly start: number;
  readonly end: number;
  /** Where the attributes (field 6) end: everything after is fields 7 and up. */
  readonly attributesEnd: number;
  /**
   * Ascending [start, end) pairs of whole fields to leave out: fields at their default value, which the
   * encoder omits (e.g. `dropped_attributes_count: 0`, which the OTel JS exporter writes); none of them
   * straddles `attributesEnd`. Undefined when there are none.
   */
  readonly holes: readonly number[] | undefined;
  /** The decoded attribute list and how many entries it had. */
  readonly attributes: readonly KeyValue[];
  readonly attributeCount: number;
  /** Its last decoded entry (undefined when none), to notice a removal followed by an append. */
  readonly lastAttribute: KeyValue | undefined;
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: AnyValue | undefined;
  readonly droppedAttributesCount: number;
  readonly flags: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
}

/** A base class whose constructor returns the object it is given ("return override"). */
class Given {
  constructor(given: object) {
    return given as Given;
  }
}

/**
 * Adds a private field to a record. A private field is what V8 adds fastest (an inline-cached store, where
 * `Object.defineProperty` of a non-enumerable symbol goes to the runtime: 6.9% of the samples in the same
 * profile) and is invisible to every copy and comparison; writing it works on a frozen record too.
 */
class WireStamp extends Given {
  #wire: RecordWire | undefined;

  constructor(record: AuditRecord, wire: RecordWire) {
    super(record);
    this.#wire = wire;
  }

  static wireOf(record: object): RecordWire | undefined {
    return #wire in record ? (record as WireStamp).#wire : undefined;
  }

  static forget(record: object): void {
    if (#wire in record) (record as WireStamp).#wire = undefined;
  }
}

/** Records `wire` for `record` (the decoder, right after building it from those bytes; once per record). */
export function rememberWire(record: AuditRecord, wire: RecordWire): void {
  new WireStamp(record, wire);
}

/** Drops the record's wire bytes: to call before anything that may change the record's content. */
export function forgetWire(record: AuditRecord): void {
  WireStamp.forget(record);
}

/** The record's wire bytes, when it has some and every field still holds what was decoded from them. */
export function validWireOf(record: AuditRecord): RecordWire | undefined {
  const wire = WireStamp.wireOf(record);
  if (wire === undefined) return undefined;
  // the input detached (transferred) or shrunk since: a copy would throw (or be short)
  if (wire.bytes.length < wire.end) return undefined;
  const attributes = record.attributes;
  const count = wire.attributeCount;
  if (
    attributes !== wire.attributes ||
    attributes.length < count ||
    (count > 0 && attributes[count - 1] !== wire.lastAttribute) ||
    record.timeUnixNano !== wire.timeUnixNano ||
    record.observedTimeUnixNano !== wire.observedTimeUnixNano ||
    record.severityNumber !== wire.severityNumber ||
    record.severityText !== wire.severityText ||
    !Object.is(record.body, wire.body) ||
    record.droppedAttributesCount !== wire.droppedAttributesCount ||
    record.flags !== wire.flags ||
    record.traceId !== wire.traceId ||
    record.spanId !== wire.spanId ||
    record.eventName !== wire.eventName
  )
    return undefined;
  return wire;
}
