/**
 * Legal but non-canonical re-encodings of a canonical LogRecord, for testing
 * that the wire-bytes reuse (src/record/recordWire.ts) is taken only for
 * canonical bytes: the LogRecord is parsed into a field tree (nested
 * AnyValue / KeyValue / ArrayValue / KeyValueList messages included), one
 * message of the tree is changed in one of the ways protobuf allows for the
 * same or a similar record (see `PERTURBATIONS`), and the tree is written
 * again — every length recomputed, any varint optionally padded.
 */
import { varintOf } from './wireArbitraries.ts';
import { concat } from './wire.ts';

type MessageKind = 'logRecord' | 'keyValue' | 'anyValue' | 'arrayValue' | 'kvList';

/** Which fields of each message are messages themselves. */
const CHILDREN: Record<MessageKind, Partial<Record<number, MessageKind>>> = {
  logRecord: { 5: 'anyValue', 6: 'keyValue' },
  keyValue: { 2: 'anyValue' },
  anyValue: { 5: 'arrayValue', 6: 'kvList' },
  arrayValue: { 1: 'anyValue' },
  kvList: { 1: 'keyValue' },
};

export interface WireField {
  fieldNumber: number;
  wireType: number;
  /** wire type 0 */
  varint?: bigint;
  /** wire types 1, 5 and 2 (not a message) */
  raw?: Uint8Array;
  /** wire type 2 holding a message */
  message?: WireMessage;
  /** Redundant continuation bytes on the tag / the length / the varint value. */
  tagPad?: number;
  lengthPad?: number;
  valuePad?: number;
}

export interface WireMessage {
  kind: MessageKind;
  fields: WireField[];
}

export function parseMessage(bytes: Uint8Array, kind: MessageKind): WireMessage {
  const fields: WireField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[pos++] as number;
      value |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return value;
    }
  };
  while (pos < bytes.length) {
    const tag = Number(readVarint());
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) fields.push({ fieldNumber, wireType, varint: readVarint() });
    else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4;
      fields.push({ fieldNumber, wireType, raw: bytes.slice(pos, pos + n) });
      pos += n;
    } else if (wireType === 2) {
      const length = Number(readVarint());
      const content = bytes.slice(pos, pos + length);
      pos += length;
      const child = CHILDREN[kind][fieldNumber];
      fields.push(
        child === undefined
          ? { fieldNumber, wireType, raw: content }
          : { fieldNumber, wireType, message: parseMessage(content, child) },
      );
    } else throw new Error(`wire type ${wireType} in a canonical message`);
  }
  return { kind, fields };
}

export function writeMessage(m: WireMessage): Uint8Array {
  return concat(...m.fields.map(writeField));
}

function writeField(f: WireField): Uint8Array {
  const tag = varintOf(BigInt(f.fieldNumber * 8 + f.wireType), f.tagPad ?? 0);
  if (f.wireType === 0) return concat(tag, varintOf(f.varint ?? 0n, f.valuePad ?? 0));
  if (f.wireType !== 2) return concat(tag, f.raw ?? new Uint8Array(f.wireType === 1 ? 8 : 4));
  const content = f.message ? writeMessage(f.message) : (f.raw ?? new Uint8Array(0));
  return concat(tag, varintOf(BigInt(content.length), f.lengthPad ?? 0), content);
}

/** Every message of the tree, the root first. */
export function messagesOf(m: WireMessage): WireMessage[] {
  const out = [m];
  for (const f of m.fields) if (f.message) out.push(...messagesOf(f.message));
  return out;
}

/** A default value (what the encoder omits) for each field of each message, where there is one. */
const DEFAULTS: Record<MessageKind, WireField[]> = {
  logRecord: [
    { fieldNumber: 1, wireType: 1, raw: new Uint8Array(8) },
    { fieldNumber: 2, wireType: 0, varint: 0n },
    { fieldNumber: 3, wireType: 2, raw: new Uint8Array(0) },
    { fieldNumber: 7, wireType: 0, varint: 0n },
    { fieldNumber: 8, wireType: 5, raw: new Uint8Array(4) },
    { fieldNumber: 9, wireType: 2, raw: new Uint8Array(0) },
    { fieldNumber: 10, wireType: 2, raw: new Uint8Array(0) },
    { fieldNumber: 11, wireType: 1, raw: new Uint8Array(8) },
    { fieldNumber: 12, wireType: 2, raw: new Uint8Array(0) },
  ],
  keyValue: [{ fieldNumber: 1, wireType: 2, raw: new Uint8Array(0) }],
  anyValue: [],
  arrayValue: [],
  kvList: [],
};

/** One change, chosen by `pick` (any non-negative integer), to message `m` in place. */
export type Perturbation = (m: WireMessage, pick: number) => void;

const at = <T>(list: readonly T[], pick: number): T | undefined =>
  list.length === 0 ? undefined : list[pick % list.length];

export const PERTURBATIONS: Readonly<Record<string, Perturbation>> = {
  /** Two fields swapped (a different order; the same record unless both are attributes / entries). */
  swap(m, pick) {
    if (m.fields.length < 2) return;
    const i = pick % (m.fields.length - 1);
    const a = m.fields[i] as WireField;
    m.fields[i] = m.fields[i + 1] as WireField;
    m.fields[i + 1] = a;
  },
  /** A field written twice (protobuf: the last scalar wins; messages merge; repeated fields repeat). */
  duplicate(m, pick) {
    const f = at(m.fields, pick);
    if (f) m.fields.splice(pick % m.fields.length, 0, structuredClone(f));
  },
  /** An unknown field (skipped by every decoder). */
  unknown(m, pick) {
    const wireType = [0, 1, 2, 5][pick % 4] as number;
    // one-byte tags too (below 16): a multi-byte tag alone would already make the bytes non-canonical
    const fieldNumber =
      m.kind === 'logRecord'
        ? ([13, 14, 15, 16, 100, 2047][(pick >> 2) % 6] as number)
        : 8 + ((pick >> 2) % 8);
    const field: WireField = { fieldNumber, wireType };
    if (wireType === 0) field.varint = BigInt(pick);
    else if (wireType === 2) field.raw = Uint8Array.of(1, 2, 3);
    m.fields.splice(pick % (m.fields.length + 1), 0, field);
  },
  /** A field at its default value, which the encoder omits. */
  defaultValue(m, pick) {
    const d = at(DEFAULTS[m.kind], pick);
    if (d === undefined) return;
    const field = structuredClone(d);
    const i = m.fields.findIndex((f) => f.fieldNumber > field.fieldNumber);
    m.fields.splice(i < 0 ? m.fields.length : i, 0, field);
  },
  /** A redundant continuation byte on a tag, a length or a varint value. */
  pad(m, pick) {
    const f = at(m.fields, pick);
    if (f === undefined) return;
    const n = 1 + ((pick >> 4) % 3);
    if (pick % 3 === 0) f.tagPad = n;
    else if (f.wireType === 2) f.lengthPad = n;
    else if (f.wireType === 0) f.valuePad = n;
    else f.tagPad = n;
  },
  /** A field removed (a KeyValue without its value decodes to the empty value). */
  remove(m, pick) {
    if (m.fields.length > 0) m.fields.splice(pick % m.fields.length, 1);
  },
  /** A value the decoders read as another canonical one: bool 2, a NaN with a payload, an int32 in 5 bytes. */
  alias(m, pick) {
    const n = m.fields.length;
    for (let k = 0; k < n; k++) {
      const f = m.fields[(pick + k) % n] as WireField;
      if (m.kind === 'anyValue' && f.fieldNumber === 2 && f.varint !== undefined)
        f.varint = 2n + BigInt(pick % 5);
      else if (m.kind === 'anyValue' && f.fieldNumber === 4 && f.raw !== undefined) {
        f.raw = Uint8Array.of(pick & 0xff, 1, 0, 0, 0, 0, 0xf8, 0x7f); // a quiet NaN with payload bits
      } else if (m.kind === 'logRecord' && f.fieldNumber === 2 && f.varint !== undefined) {
        f.varint &= 0xffff_ffffn; // a negative severity's low 32 bits only; high bits on a positive one
        if (f.varint < 0x8000_0000n) f.varint |= 1n << 40n;
      } else if (m.kind === 'logRecord' && f.fieldNumber === 7 && f.varint !== undefined) {
        f.varint |= 1n << 33n; // dropped_attributes_count is a uint32: the high bits are dropped
      } else if (m.kind === 'anyValue' && f.fieldNumber === 3 && f.varint !== undefined) {
        f.varint |= 1n << 64n; // a bit past the 64th
      } else continue;
      return;
    }
  },
};

export const PERTURBATION_NAMES = Object.keys(PERTURBATIONS);
