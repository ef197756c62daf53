/**
 * The chain attributes of a stored record (version-1 WAL payload,
 * record/walCodec.ts: one LogsData → ResourceLogs → ScopeLogs → LogRecord),
 * read straight from its protobuf bytes in constant memory, without decoding
 * the record into objects. Chain recovery uses it for a record beyond its
 * decode budget (a legitimate record with many elements, or a CRC-valid
 * hostile frame): decoding one of up to 128 MiB could take 4 GB and more of
 * heap (an empty attribute is 2 bytes on the wire and ~60 bytes decoded,
 * ~300 while hashed). Hand-written, not protobufjs: protobufjs builds every
 * object, which is exactly the cost avoided (measured: peak RSS at start with
 * a 128 MiB frame of 67 M empty attributes, 3.7 GB decoding it, see
 * recoverChain.ts).
 *
 * Returns each chain attribute as `attr` of the decoded record would: the
 * value of the FIRST attribute with that key — a string, an int as a bigint,
 * `OTHER_VALUE` for any other kind (or none) — or undefined when no attribute
 * has that key. Strict where the decoder is lenient, so that a frame read here
 * never says more than its decoding would: a duplicated key or value field in
 * a chain attribute, more than one value in its AnyValue, a wrong wire type
 * for a field it reads, groups, a truncated field, an invalid UTF-8 chain
 * value, a payload not holding exactly one log record are all
 * `RecordDecodeError`. Other fields (the body, other attributes' values, the
 * resource) are skipped by their length, not checked.
 */
import { isUtf8 } from 'node:buffer';
import { RecordDecodeError } from '../../../record/errors.ts';
import { RECORD_ENCODING_VERSION } from '../../../record/walCodec.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../names.ts';

/** A chain attribute whose value is neither a string nor an int (equal to no string and no bigint). */
export const OTHER_VALUE: unique symbol = Symbol('not a string nor an int');

export type ScannedValue = string | bigint | typeof OTHER_VALUE | undefined;

export interface ScannedChainAttributes {
  readonly streamId: ScannedValue;
  readonly number: ScannedValue;
  readonly previousHash: ScannedValue;
  readonly integrityHash: ScannedValue;
}

const KEYS = [
  ATTR_SEQUENCE_STREAM_ID,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_INTEGRITY_HASH,
].map((k) => Buffer.from(k, 'utf8'));

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export function scanChainAttributes(payload: Uint8Array): ScannedChainAttributes {
  if (payload.length === 0 || payload[0] !== RECORD_ENCODING_VERSION)
    throw new RecordDecodeError('not a version-1 record payload');
  const s = new Scan(payload);
  const record = s.onlyLogRecord(1, payload.length);
  const values: ScannedValue[] = [undefined, undefined, undefined, undefined];
  s.pos = record.start;
  while (s.pos < record.end) {
    const field = s.tag(record.end);
    if (field.number === 6) {
      s.expectWire(field, WIRE_LEN, 'LogRecord.attributes');
      const end = s.lenEnd(record.end);
      s.keyValue(end, values);
      s.pos = end;
    } else s.skip(field.wire, record.end);
  }
  const [streamId, number, previousHash, integrityHash] = values;
  return { streamId, number, previousHash, integrityHash };
}

interface Field {
  number: number;
  wire: number;
}

class Scan {
  pos = 0;
  readonly #buf: Uint8Array;
  readonly #field: Field = { number: 0, wire: 0 };

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  /** The one LogRecord of the LogsData in [start, end): its bytes' range. */
  onlyLogRecord(start: number, end: number): { start: number; end: number } {
    let found: { start: number; end: number } | undefined;
    let count = 0;
    this.pos = start;
    // LogsData.resource_logs (1) → ResourceLogs.scope_logs (2) → ScopeLogs.log_records (2).
    this.#each(end, 1, 'LogsData.resource_logs', (rlEnd) =>
      this.#each(rlEnd, 2, 'ResourceLogs.scope_logs', (slEnd) =>
        this.#each(slEnd, 2, 'ScopeLogs.log_records', (lrEnd) => {
          count++;
          found = { start: this.pos, end: lrEnd };
        }),
      ),
    );
    if (count !== 1 || found === undefined)
      throw new RecordDecodeError(`record payload holds ${count} log records, expected exactly 1`);
    return found;
  }

  /** Calls `inner` with the end of each occurrence of field `number` (a message) in [pos, end). */
  #each(end: number, number: number, name: string, inner: (innerEnd: number) => void): void {
    while (this.pos < end) {
      const field = this.tag(end);
      if (field.number !== number) {
        this.skip(field.wire, end);
        continue;
      }
      this.expectWire(field, WIRE_LEN, name);
      const innerEnd = this.lenEnd(end);
      inner(innerEnd);
      this.pos = innerEnd;
    }
  }

  /** A KeyValue in [pos, end): when its key is a chain attribute's not seen yet, its value goes in `values`. */
  keyValue(end: number, values: ScannedValue[]): void {
    let keyStart = -1;
    let keyEnd = -1;
    let valueStart = -1;
    let valueEnd = -1;
    while (this.pos < end) {
      const field = this.tag(end);
      if (field.number === 1 || field.number === 2) {
        const name = field.number === 1 ? 'KeyValue.key' : 'KeyValue.value';
        this.expectWire(field, WIRE_LEN, name);
        const fieldEnd = this.lenEnd(end);
        // A field given twice: the decoder would take the last key, or merge the values. Not read here.
        if ((field.number === 1 ? keyStart : valueStart) !== -1)
          throw new RecordDecodeError(`${name} given twice in one attribute`);
        if (field.number === 1) {
          keyStart = this.pos;
          keyEnd = fieldEnd;
        } else {
          valueStart = this.pos;
          valueEnd = fieldEnd;
        }
        this.pos = fieldEnd;
      } else this.skip(field.wire, end);
    }
    if (keyStart === -1) return;
    const which = this.#chainKey(keyStart, keyEnd);
    if (which === -1 || values[which] !== undefined) return;
    values[which] = valueStart === -1 ? OTHER_VALUE : this.#anyValue(valueStart, valueEnd);
  }

  #chainKey(start: number, end: number): number {
    const n = end - start;
    for (let k = 0; k < KEYS.length; k++) {
      const key = KEYS[k] as Buffer;
      if (key.length !== n) continue;
      let i = 0;
      while (i < n && this.#buf[start + i] === key[i]) i++;
      if (i === n) return k;
    }
    return -1;
  }

  /** An AnyValue in [start, end): a string, an int, or OTHER_VALUE. */
  #anyValue(start: number, end: number): ScannedValue {
    let value: ScannedValue = OTHER_VALUE;
    let kinds = 0;
    this.pos = start;
    while (this.pos < end) {
      const field = this.tag(end);
      if (field.number >= 1 && field.number <= 7) {
        if (++kinds > 1) throw new RecordDecodeError('a chain attribute holds more than one value');
        if (field.number === 1) {
          this.expectWire(field, WIRE_LEN, 'AnyValue.string_value');
          const strEnd = this.lenEnd(end);
          const bytes = this.#buf.subarray(this.pos, strEnd);
          if (!isUtf8(bytes)) throw new RecordDecodeError('a chain attribute is not valid UTF-8');
          value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
          this.pos = strEnd;
          continue;
        }
        if (field.number === 3) {
          this.expectWire(field, WIRE_VARINT, 'AnyValue.int_value');
          value = BigInt.asIntN(64, this.#varint64(end));
          continue;
        }
        value = OTHER_VALUE;
      }
      this.skip(field.wire, end);
    }
    return value;
  }

  /** The next tag in [pos, end) (the returned object is reused). */
  tag(end: number): Field {
    const key = this.#varint(end);
    const number = Math.floor(key / 8);
    if (number === 0) throw new RecordDecodeError('field number 0');
    this.#field.number = number;
    this.#field.wire = key % 8;
    return this.#field;
  }

  expectWire(field: Field, wire: number, name: string): void {
    if (field.wire !== wire)
      throw new RecordDecodeError(`${name} has wire type ${field.wire}, expected ${wire}`);
  }

  /** Reads a length and returns where the field's data ends (`pos` is then at its start). */
  lenEnd(end: number): number {
    const n = this.#varint(end);
    if (n > end - this.pos) throw new RecordDecodeError('a field runs past its message');
    return this.pos + n;
  }

  skip(wire: number, end: number): void {
    let n: number;
    switch (wire) {
      case WIRE_VARINT:
        for (let i = 0; ; i++) {
          if (i === 10) throw new RecordDecodeError('varint longer than 10 bytes');
          if (this.pos >= end) throw new RecordDecodeError('truncated varint');
          if ((this.#buf[this.pos++] as number) < 0x80) return;
        }
      case WIRE_I64:
        n = 8;
        break;
      case WIRE_LEN:
        this.pos = this.lenEnd(end);
        return;
      case WIRE_I32:
        n = 4;
        break;
      default:
        throw new RecordDecodeError(`wire type ${wire} (not used by OTLP)`);
    }
    if (n > end - this.pos) throw new RecordDecodeError('a field runs past its message');
    this.pos += n;
  }

  /** A varint used as a length or a tag: at most 2^53 - 1 (checked against the data's size by the caller). */
  #varint(end: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= end) throw new RecordDecodeError('truncated varint');
      const b = this.#buf[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new RecordDecodeError('varint too long for a length');
  }

  /** A full 64-bit varint (at most 10 bytes), as an unsigned bigint. */
  #varint64(end: number): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new RecordDecodeError('truncated varint');
      const b = this.#buf[this.pos++] as number;
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, value);
      shift += 7n;
    }
    throw new RecordDecodeError('varint longer than 10 bytes');
  }
}
