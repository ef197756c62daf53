/**
 * `scanWire`: an iterative (no recursion) pass over protobuf bytes that
 * validates them against the OTLP schema BEFORE protobufjs builds a single
 * object. protobufjs recurses once per nested message and stops only at its
 * recursion limit of 100, treats a known field with the wrong wire type as
 * an unknown field, and does not enforce any of our limits. This scan makes
 * protobufjs's input safe and strict:
 * - every tag, varint and length is bounds-checked against the enclosing
 *   message (truncation and overlong varints are errors);
 * - a known field must have its declared wire type;
 * - field number 0, wire types 6/7 and groups (3/4, never used by OTLP) are
 *   errors; unknown fields with wire types 0/1/2/5 are skipped;
 * - strings must be valid UTF-8 and within `stringBytesMax`; bytes values
 *   within `bytesLengthMax`;
 * - AnyValue nesting within `anyValueDepthMax` (≤ 32, so protobufjs never
 *   nests past 99 messages), log records within `recordCountMax`, message
 *   occurrences (the objects protobufjs will build) within `elementCountMax`, entries of
 *   one occurrence of an attribute list within `attributeCountMax` and of an
 *   array / kvlist within `arrayLengthMax`.
 * The converter checks the counts again after decoding (protobuf merges
 * repeated occurrences of a message field; protobufjs keeps the last).
 */
import { isUtf8 } from 'node:buffer';
import type { DecodeLimitName, DecodeLimits } from '../../record/DecodeLimits.ts';
import { DecodeLimitError } from '../../record/errors.ts';
import { OtlpDecodeError } from '../OtlpDecodeError.ts';
import type { ScanMessage } from './wireSchema.ts';

interface Frame {
  readonly message: ScanMessage;
  readonly end: number;
  readonly parent: Frame | undefined;
  readonly name: string;
  readonly index: number;
  readonly counts: number[];
  readonly anyValueDepth: number;
}

const NO_COUNTS: number[] = [];

export function scanWire(buf: Uint8Array, root: ScanMessage, limits: DecodeLimits): void {
  new WireScan(buf, limits).run(root);
}

class WireScan {
  private readonly buf: Uint8Array;
  private readonly limits: DecodeLimits;
  private pos = 0;
  private records = 0;
  private elements = 0;

  constructor(buf: Uint8Array, limits: DecodeLimits) {
    this.buf = buf;
    this.limits = limits;
  }

  run(root: ScanMessage): void {
    let frame: Frame = newFrame(root, this.buf.length, undefined, '', -1, 0);
    for (;;) {
      if (this.pos >= frame.end) {
        if (frame.parent === undefined) return;
        frame = frame.parent;
        continue;
      }
      const tag = this.varint(frame, 'tag');
      const fieldNumber = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (fieldNumber === 0 || tag > 0xffff_ffff)
        throw new OtlpDecodeError(pathOf(frame), `invalid tag ${tag}`);
      const field = frame.message.fields[fieldNumber];
      if (field === undefined) {
        this.skipUnknown(frame, fieldNumber, wireType);
        continue;
      }
      let index = -1;
      if (field.repeatedSlot >= 0) {
        index = frame.counts[field.repeatedSlot] as number;
        frame.counts[field.repeatedSlot] = index + 1;
        // Checked here, not only after decoding: 2-byte empty entries would otherwise make
        // protobufjs build millions of objects (hundreds of MB) before the count is seen.
        if (field.countLimit !== undefined && index >= this.limits[field.countLimit]) {
          throw new DecodeLimitError(
            pathOf(frame, field.name),
            field.countLimit,
            this.limits[field.countLimit],
            `more than ${this.limits[field.countLimit]} entries`,
          );
        }
      }
      if (wireType !== field.wireType) {
        throw new OtlpDecodeError(
          pathOf(frame, field.name, index),
          `wrong wire type ${wireType} (expected ${field.wireType})`,
        );
      }
      if (field.kind === 'scalar') {
        this.skipValue(frame, wireType, field.name, index);
        continue;
      }
      const length = this.length(frame, field.name, index);
      if (field.kind === 'message' && field.message !== undefined) {
        const child = field.message;
        // Before protobufjs builds anything: 2-byte empty messages cost ~95 bytes of heap each.
        if (++this.elements > this.limits.elementCountMax) {
          throw this.limitError(frame, field.name, index, 'elementCountMax', 'too many elements (messages)');
        }
        const depth = frame.anyValueDepth + (child.isAnyValue ? 1 : 0);
        if (depth > this.limits.anyValueDepthMax) {
          throw this.limitError(frame, field.name, index, 'anyValueDepthMax', 'AnyValue nested too deep');
        }
        if (child.isLogRecord && ++this.records > this.limits.recordCountMax) {
          throw this.limitError(frame, field.name, index, 'recordCountMax', 'too many log records');
        }
        frame = newFrame(child, this.pos + length, frame, field.name, index, depth);
        continue;
      }
      if (field.kind === 'string') {
        if (length > this.limits.stringBytesMax) {
          throw this.limitError(frame, field.name, index, 'stringBytesMax', `string of ${length} bytes`);
        }
        if (length > 0 && !this.isUtf8(length)) {
          throw new OtlpDecodeError(pathOf(frame, field.name, index), 'string is not valid UTF-8');
        }
      } else if (field.kind === 'bytesValue' && length > this.limits.bytesLengthMax) {
        throw this.limitError(frame, field.name, index, 'bytesLengthMax', `bytes value of ${length} bytes`);
      }
      this.pos += length;
    }
  }

  /** UTF-8 validity of the next `length` bytes; short ASCII strings (the common case) without a native call. */
  private isUtf8(length: number): boolean {
    const end = this.pos + length;
    if (length <= 64) {
      let i = this.pos;
      while (i < end && (this.buf[i] as number) < 0x80) i++;
      if (i === end) return true;
    }
    return isUtf8(this.buf.subarray(this.pos, end));
  }

  private limitError(
    frame: Frame,
    name: string,
    index: number,
    limit: DecodeLimitName,
    problem: string,
  ): Error {
    return new DecodeLimitError(pathOf(frame, name, index), limit, this.limits[limit], problem);
  }

  /** A varint within the frame; up to 10 bytes; the value may be imprecise above 2^53 (only compared). */
  private varint(frame: Frame, what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= frame.end) throw new OtlpDecodeError(pathOf(frame), `truncated ${what}`);
      const byte = this.buf[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new OtlpDecodeError(pathOf(frame), `${what} varint longer than 10 bytes`);
  }

  private length(frame: Frame, name: string, index: number): number {
    const length = this.varint(frame, 'length');
    if (length > frame.end - this.pos) {
      throw new OtlpDecodeError(
        pathOf(frame, name, index),
        `length ${length} exceeds the ${frame.end - this.pos} bytes left`,
      );
    }
    return length;
  }

  private skipValue(frame: Frame, wireType: number, name: string, index: number): void {
    if (wireType === 0) {
      this.varint(frame, 'varint');
      return;
    }
    const size = wireType === 1 ? 8 : wireType === 5 ? 4 : this.length(frame, name, index);
    if (size > frame.end - this.pos) {
      throw new OtlpDecodeError(pathOf(frame, name, index), `truncated ${size}-byte value`);
    }
    this.pos += size;
  }

  private skipUnknown(frame: Frame, fieldNumber: number, wireType: number): void {
    const name = `<field ${fieldNumber}>`;
    if (wireType === 3 || wireType === 4) {
      throw new OtlpDecodeError(pathOf(frame, name), 'groups (wire types 3, 4) are not supported');
    }
    if (wireType > 5) throw new OtlpDecodeError(pathOf(frame, name), `invalid wire type ${wireType}`);
    this.skipValue(frame, wireType, name, -1);
  }
}

function newFrame(
  message: ScanMessage,
  end: number,
  parent: Frame | undefined,
  name: string,
  index: number,
  anyValueDepth: number,
): Frame {
  const counts = message.repeatedCount === 0 ? NO_COUNTS : new Array<number>(message.repeatedCount).fill(0);
  return { message, end, parent, name, index, counts, anyValueDepth };
}

/** `resourceLogs[0].scopeLogs[1].logRecords[3]` (+ `.name[index]` when given). */
function pathOf(frame: Frame, name?: string, index = -1): string {
  const segments: string[] = [];
  if (name !== undefined) segments.push(index >= 0 ? `${name}[${index}]` : name);
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) {
    segments.push(f.index >= 0 ? `${f.name}[${f.index}]` : f.name);
  }
  return segments.reverse().join('.');
}
